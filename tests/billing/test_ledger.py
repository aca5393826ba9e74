"""Token and euro ledgers (LEDG-1, LEDG-2): balances are sums, debits never go below zero,
a reference is booked once, movements never change."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django_scopes import scope

from accounts.models import AuditEvent
from billing.models import AppendOnlyError, BillingProfile, EuroMovement, MovementKind, TokenMovement
from billing.services.ledger import (
    InsufficientBalance,
    LedgerError,
    credit_euros,
    credit_tokens,
    debit_euros,
    debit_tokens,
    euro_balance,
    euro_balance_is_low,
    euro_statement,
    token_balance,
    token_balances,
    token_statement,
)
from tests import factories

D = Decimal


@pytest.fixture
def other_product(db):
    return factories.make_product("ssl-dv", price=D("40.00"))


@pytest.mark.django_db
class TestTokens:
    def test_balance_is_the_sum_of_movements(self, account, product, other_product, owner):
        credit_tokens(account, product, 10, reference="TOP-1", user=owner)
        credit_tokens(account, product, 5, reference="TOP-2")
        credit_tokens(account, other_product, 3, reference="TOP-2")
        debit_tokens(account, product, 4, reference="CP0001")
        assert token_balance(account, product) == 11
        assert token_balance(account, other_product) == 3
        assert token_balances(account) == {product.pk: 11, other_product.pk: 3}
        movements = TokenMovement.objects.filter(account=account, product=product)
        assert sum(m.quantity for m in movements) == 11

    def test_an_account_without_movements_has_nothing(self, account, product):
        assert token_balance(account, product) == 0
        assert token_balances(account) == {}

    def test_balances_of_every_product_in_one_query(
        self, account, product, other_product, django_assert_num_queries
    ):
        for i in range(3):
            credit_tokens(account, product, 2, reference=f"TOP-{i}")
            credit_tokens(account, other_product, 1, reference=f"TOP-{i}")
        with django_assert_num_queries(1):
            assert token_balances(account) == {product.pk: 6, other_product.pk: 3}

    def test_a_debit_beyond_the_balance_is_refused_and_books_nothing(self, account, product):
        credit_tokens(account, product, 2, reference="TOP-1")
        with pytest.raises(InsufficientBalance) as refused:
            debit_tokens(account, product, 3, reference="CP0001")
        assert (refused.value.available, refused.value.requested) == (2, 3)
        assert token_balance(account, product) == 2
        assert not TokenMovement.objects.filter(kind=MovementKind.CONSUMPTION).exists()

    def test_the_balance_can_reach_zero_exactly(self, account, product):
        credit_tokens(account, product, 2, reference="TOP-1")
        debit_tokens(account, product, 2, reference="CP0001")
        assert token_balance(account, product) == 0
        with pytest.raises(InsufficientBalance):
            debit_tokens(account, product, 1, reference="CP0002")

    def test_another_accounts_tokens_are_not_ours(self, account, other_account, product):
        credit_tokens(other_account, product, 5, reference="TOP-1")
        with pytest.raises(InsufficientBalance):
            debit_tokens(account, product, 1, reference="CP0001")
        with scope(account=account.pk):
            # Inside our scope another account's movements do not even show.
            assert token_balance(other_account, product) == 0
        assert token_balance(other_account, product) == 5

    def test_a_reference_is_debited_once(self, account, product):
        credit_tokens(account, product, 5, reference="TOP-1")
        first = debit_tokens(account, product, 2, reference="CP0001")
        again = debit_tokens(account, product, 2, reference="CP0001")
        assert again.pk == first.pk
        assert token_balance(account, product) == 3
        with pytest.raises(LedgerError):
            debit_tokens(account, product, 1, reference="CP0001")

    def test_a_refund_gives_a_consumed_token_back(self, account, product):
        credit_tokens(account, product, 1, reference="TOP-1")
        debit_tokens(account, product, 1, reference="CP0001")
        credit_tokens(account, product, 1, reference="CP0001", kind=MovementKind.REFUND)
        assert token_balance(account, product) == 1

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2"])
    def test_quantities_must_be_positive_whole_numbers(self, account, product, quantity):
        with pytest.raises(LedgerError):
            credit_tokens(account, product, quantity, reference="TOP-1")
        with pytest.raises(LedgerError):
            debit_tokens(account, product, quantity, reference="CP0001")
        assert not TokenMovement.objects.exists()

    def test_a_reference_is_required(self, account, product):
        with pytest.raises(LedgerError):
            credit_tokens(account, product, 1, reference="  ")
        with pytest.raises(LedgerError):
            credit_tokens(account, product, 1, reference="X" * 61)

    def test_kinds_must_match_the_direction(self, account, product):
        with pytest.raises(LedgerError):
            credit_tokens(account, product, 1, reference="X", kind=MovementKind.CONSUMPTION)
        with pytest.raises(LedgerError):
            debit_tokens(account, product, 1, reference="X", kind=MovementKind.TOP_UP)

    def test_adjustments_may_repeat_a_reference(self, account, product, staff):
        credit_tokens(account, product, 1, reference="correction", kind=MovementKind.ADJUSTMENT, user=staff)
        credit_tokens(account, product, 1, reference="correction", kind=MovementKind.ADJUSTMENT, user=staff)
        debit_tokens(account, product, 1, reference="correction", kind=MovementKind.ADJUSTMENT, user=staff)
        assert token_balance(account, product) == 1

    def test_each_movement_is_audited(self, account, product, owner):
        credit_tokens(account, product, 3, reference="TOP-1", user=owner)
        debit_tokens(account, product, 2, reference="CP0001", user=owner)
        debited = AuditEvent.objects.get(action="ledger.tokens_debited")
        assert debited.account == account and debited.user == owner
        assert debited.details["quantity"] == 2 and debited.details["balance"] == 1
        assert debited.details["product"] == product.code
        assert AuditEvent.objects.filter(action="ledger.tokens_credited").count() == 1

    def test_statement_has_a_running_balance_per_product(self, account, product, other_product):
        credit_tokens(account, product, 5, reference="TOP-1")
        credit_tokens(account, other_product, 2, reference="TOP-1")
        debit_tokens(account, product, 1, reference="CP0001")
        debit_tokens(account, other_product, 2, reference="CP0002")
        rows = [(m.product_id, m.quantity, m.balance_after) for m in token_statement(account)]
        assert rows == [
            (product.pk, 5, 5),
            (other_product.pk, 2, 2),
            (product.pk, -1, 4),
            (other_product.pk, -2, 0),
        ]
        assert [m.balance_after for m in token_statement(account, product)] == [5, 4]


@pytest.mark.django_db
class TestEuros:
    def test_balance_and_running_statement(self, account):
        credit_euros(account, D("100.10"), reference="TOP-1")
        debit_euros(account, D("40.05"), reference="CP0001")
        credit_euros(account, "5", reference="CP0001", kind=MovementKind.REFUND)
        assert euro_balance(account) == D("65.05")
        rows = [(m.kind, m.amount, m.balance_after) for m in euro_statement(account)]
        assert rows == [
            ("top_up", D("100.10"), D("100.10")),
            ("purchase", D("-40.05"), D("60.05")),
            ("refund", D("5.00"), D("65.05")),
        ]

    def test_statement_is_one_query_whatever_its_length(self, account, django_assert_num_queries):
        for i in range(5):
            credit_euros(account, D("10"), reference=f"TOP-{i}")
        with django_assert_num_queries(1):
            rows = [(m.reference, m.balance_after, m.created_by, m.document) for m in euro_statement(account)]
        assert rows[-1][1] == D("50.00")

    def test_a_debit_beyond_the_balance_is_refused(self, account):
        credit_euros(account, D("10.00"), reference="TOP-1")
        with pytest.raises(InsufficientBalance) as refused:
            debit_euros(account, D("10.01"), reference="CP0001")
        assert refused.value.available == D("10.00")
        assert euro_balance(account) == D("10.00")
        assert EuroMovement.objects.count() == 1

    @pytest.mark.parametrize("amount", ["0", "-5", "1.005", "abc", "NaN", "Infinity"])
    def test_amounts_must_be_positive_to_the_cent(self, account, amount):
        with pytest.raises(LedgerError):
            credit_euros(account, amount, reference="TOP-1")
        assert euro_balance(account) == D("0")

    def test_a_reference_is_debited_once_with_one_amount(self, account):
        credit_euros(account, D("100"), reference="TOP-1")
        first = debit_euros(account, D("30"), reference="CP0001")
        assert debit_euros(account, D("30.00"), reference="CP0001").pk == first.pk
        with pytest.raises(LedgerError):
            debit_euros(account, D("31"), reference="CP0001")
        assert euro_balance(account) == D("70.00")

    def test_low_balance_alert(self, account):
        BillingProfile.objects.create(account=account, alert_threshold=D("50"))
        credit_euros(account, D("50"), reference="TOP-1")
        assert euro_balance_is_low(account)
        credit_euros(account, D("0.01"), reference="TOP-2")
        assert not euro_balance_is_low(account)

    def test_each_movement_is_audited(self, account, owner):
        credit_euros(account, D("20"), reference="TOP-1", user=owner)
        debit_euros(account, D("5.50"), reference="CP0001", user=owner)
        event = AuditEvent.objects.get(action="ledger.euros_debited")
        assert event.details["amount"] == "5.50" and event.details["balance"] == "14.50"


@pytest.mark.django_db
class TestAppendOnly:
    def test_a_movement_cannot_change_nor_be_deleted(self, account, product):
        movement = credit_tokens(account, product, 3, reference="TOP-1")
        movement.quantity = 300
        with pytest.raises(AppendOnlyError):
            movement.save()
        with pytest.raises(AppendOnlyError):
            movement.delete()
        with pytest.raises(AppendOnlyError):
            TokenMovement.objects.filter(pk=movement.pk).update(quantity=300)
        with pytest.raises(AppendOnlyError):
            TokenMovement.objects.all().delete()
        euro = credit_euros(account, D("1"), reference="TOP-1")
        with pytest.raises(AppendOnlyError):
            euro.delete()
        with pytest.raises(AppendOnlyError):
            EuroMovement.objects.all().delete()
        assert token_balance(account, product) == 3

    def test_the_database_refuses_a_movement_of_the_wrong_sign(self, account, product):
        with pytest.raises(IntegrityError), transaction.atomic():
            TokenMovement.objects.create(
                account=account,
                product=product,
                kind=MovementKind.CONSUMPTION,
                quantity=1,
                reference="CP0001",
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            EuroMovement.objects.create(
                account=account, kind=MovementKind.TOP_UP, amount=D("-1"), reference="X"
            )

    def test_the_database_refuses_a_reference_booked_twice(self, account, product):
        TokenMovement.objects.create(
            account=account, product=product, kind=MovementKind.TOP_UP, quantity=1, reference="TOP-1"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            TokenMovement.objects.create(
                account=account, product=product, kind=MovementKind.TOP_UP, quantity=1, reference="TOP-1"
            )
