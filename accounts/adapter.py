from allauth.account.adapter import DefaultAccountAdapter


class PortalAccountAdapter(DefaultAccountAdapter):
    """No public signup through allauth: accounts are opened by registration (ACC-1) and staff."""

    def is_open_for_signup(self, request):
        return False
