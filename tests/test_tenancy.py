"""Tenant isolation is structural (foundation issue, point 3; STYLE.md 2)."""

import pytest
from django_scopes import ScopeError, scope, scopes_disabled

from accounts.models import AuditEvent, Contact, Organisation


@pytest.mark.django_db
def test_unscoped_query_of_account_data_fails_loudly(account):
    with scope():  # a scope that does not name the account
        for model in (Organisation, Contact, AuditEvent):
            with pytest.raises(ScopeError):
                list(model.objects.all())


@pytest.mark.django_db
def test_scope_shows_only_the_accounts_rows(account, other_account):
    with scope(account=account.pk):
        names = {o.name for o in Organisation.objects.all()}
    assert names == {account.name}
    with scopes_disabled():
        assert Organisation.objects.count() == 2
