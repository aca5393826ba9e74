"""Views of the second factors: the login step (login.py) and the security pages (manage.py)."""
