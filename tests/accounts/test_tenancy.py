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


@pytest.mark.django_db
def test_contract_and_consent_rows_are_scoped_to_their_account(account, other_account):
    """CON-1, CON-2: contracts, objectives, reminders and decisions refuse an unscoped query."""
    from contracts.models import ConsentDecision, Contract, ContractReminder, Objective
    from tests.support.contracts import make_contract

    with scopes_disabled():
        make_contract(account, reference="OURS")
        make_contract(other_account, reference="THEIRS")
    with scope():
        for model in (Contract, Objective, ContractReminder, ConsentDecision):
            with pytest.raises(ScopeError):
                list(model.objects.all())
    with scope(account=account.pk):
        assert [c.reference for c in Contract.objects.all()] == ["OURS"]
