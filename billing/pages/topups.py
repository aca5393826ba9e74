"""Account info: top-ups (LEDG-4, LEDG-5).

Bulk purchase and Rebate accounts fill a token cart (add a product's tokens, remove a line);
a Current account enters an amount excluding or including VAT. Both then choose the payment
mode, the billing contact and "quote instead of invoice", review, and confirm: the invoice or
quote is issued and emailed, the tokens or euros are credited when staff record the payment.
One URL and one form per action (STYLE.md 9); the draft lives in the session (billing.cart).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_for_account, right_required
from accounts.lists import configure_table
from accounts.models import Contact, Right
from accounts.typing import AuthenticatedRequest
from catalog.models import Product

from .. import cart
from ..formulas import EURO_FORMULAS, TOKEN_FORMULAS
from ..models import BillingProfile, DocumentKind, PaymentMode, TopUp, TopUpKind, TopUpStatus
from ..models.topups import TOPUP_PAYMENT_MODES
from ..services.late_payment import cash_only
from ..services.ledger import euro_balance
from ..services.sepa import active_mandate
from ..services.topups import (
    MAX_LINES,
    MAX_TOKENS_PER_LINE,
    TopUpError,
    create_topup,
    euro_amounts,
    priced_lines,
    token_products,
    topups_of,
    vat_rate,
)
from ..services.vat import ZERO, compute_totals
from ..topup_forms import AddTokensForm, ConfirmTopUpForm, EuroTopUpForm, TopUpPaymentForm
from ..topup_tables import TopUpTable
from ..topups import needs_from_query, prefill_cart
from .accounting import PER_PAGE
from .common import formula_required

TOPUP_FORMULAS = TOKEN_FORMULAS + EURO_FORMULAS


# The token cart ---------------------------------------------------------------------------------


def _cart_page(request: AuthenticatedRequest, form: AddTokensForm, status: int = 200) -> HttpResponseBase:
    lines = priced_lines(cart.tokens(request.session))
    return render(
        request,
        "billing/topup_cart.html",
        {
            "form": form,
            "lines": lines,
            "total": sum((line.total for line in lines), ZERO),
        },
        status=status,
    )


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
def topup(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: the token cart. ?product=<code>&quantity=<n> (repeatable) replaces the cart with these
    tokens: the "global top-up" and "top-up for this order" links of the orders side."""
    needs = needs_from_query(request.GET)
    if needs is not None:
        lines = prefill_cart(request.user.account, needs)
        cart.set_tokens(request.session, lines)
        if lines:
            messages.info(request, _("The cart holds the tokens needed; change it as you wish."))
        else:
            messages.warning(request, _("None of these products can be topped up any more."))
        return redirect("account_info:topup")
    return _cart_page(request, AddTokensForm(products=token_products()))


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
@require_POST
def topup_add(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: add a product's tokens to the cart; a refused line shows its error, nothing lost."""
    form = AddTokensForm(request.POST, products=token_products())
    if not form.is_valid():
        return _cart_page(request, form, status=400)
    product, quantity = form.cleaned_data["product"], form.cleaned_data["quantity"]
    lines = cart.tokens(request.session)
    if product.pk not in lines and len(lines) >= MAX_LINES:
        form.add_error("product", _("A top-up has at most %(count)s lines.") % {"count": MAX_LINES})
        return _cart_page(request, form, status=400)
    total = cart.add_tokens(request.session, product.pk, quantity, maximum=MAX_TOKENS_PER_LINE)
    messages.success(
        request, _("%(product)s: %(count)s tokens in the cart.") % {"product": product, "count": total}
    )
    return redirect("account_info:topup")


@right_required(Right.BILLING)
@formula_required(*TOKEN_FORMULAS)
@require_POST
def topup_remove(request: AuthenticatedRequest, product_code: str) -> HttpResponseBase:
    """LEDG-4: remove one line from the cart."""
    product = Product.objects.filter(code=product_code).first()
    if product is not None and cart.remove_tokens(request.session, product.pk):
        messages.success(request, _("The line was removed."))
    return redirect("account_info:topup")


# The current account amount ---------------------------------------------------------------------


@right_required(Right.BILLING)
@formula_required(*EURO_FORMULAS)
def topup_euros(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4 current account: the amount to credit, excluding or including VAT."""
    account = request.user.account
    if request.method == "POST":
        form = EuroTopUpForm(request.POST)
        if form.is_valid():
            cart.set_euros(request.session, form.cleaned_data["amount"], form.cleaned_data["includes_vat"])
            return redirect("account_info:topup_payment")
    else:
        entered = cart.euros(request.session)
        initial = (
            {"amount": entered[0], "includes_vat": "incl" if entered[1] else "excl"} if entered else None
        )
        form = EuroTopUpForm(initial=initial)
    last = topups_of(account).filter(kind=TopUpKind.EUROS).first()
    return render(
        request,
        "billing/topup_euros.html",
        {
            "form": form,
            "balance": euro_balance(account),
            "last_topup": last,
        },
        status=400 if form.is_bound else 200,
    )


# Payment, review, confirmation ------------------------------------------------------------------


def _draft(request: AuthenticatedRequest) -> Any:
    """(kind, priced token lines, amount excl. VAT, amount incl. VAT) of the session's draft, or None."""
    account = request.user.account
    if account.formula in TOKEN_FORMULAS:
        lines = priced_lines(cart.tokens(request.session))
        if not lines:
            return None
        excl = sum((line.total for line in lines), ZERO)
        return TopUpKind.TOKENS, lines, excl, compute_totals([(vat_rate(account), excl)]).incl_vat
    entered = cart.euros(request.session)
    if entered is None:
        return None
    excl, incl = euro_amounts(entered[0], includes_vat=entered[1], rate=vat_rate(account))
    return TopUpKind.EUROS, [], excl, incl


def _start(request: AuthenticatedRequest) -> HttpResponseRedirect:
    """Where a top-up starts for the account's formula."""
    return redirect(
        "account_info:topup" if request.user.account.formula in TOKEN_FORMULAS else "account_info:topup_euros"
    )


def _payment_form(request: AuthenticatedRequest, data: QueryDict | None = None) -> TopUpPaymentForm:
    account = request.user.account
    initial = None
    if data is None:
        chosen = cart.payment(request.session)
        if chosen:
            initial = {
                "payment_mode": chosen["mode"],
                "billing_contact": chosen["contact"],
                "as_quote": chosen["as_quote"],
            }
        else:
            default = (
                BillingProfile.objects.filter(account=account)
                .values_list("default_payment_mode", flat=True)
                .first()
            )
            contact = account.administrative_contact
            initial = {
                "payment_mode": default if default in TOPUP_PAYMENT_MODES else PaymentMode.CARD,
                "billing_contact": contact.public_id if contact else None,
            }
    return TopUpPaymentForm(
        data,
        initial=initial,
        account=account,
        has_mandate=active_mandate(account) is not None,
        cash_only=cash_only(account),
    )


@right_required(Right.BILLING)
@formula_required(*TOPUP_FORMULAS)
def topup_payment(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: payment mode, billing contact and the quote box."""
    if _draft(request) is None:
        messages.error(request, _("Your top-up is empty."))
        return _start(request)
    if request.method == "POST":
        form = _payment_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            cart.set_payment(
                request.session, data["payment_mode"], data["billing_contact"].public_id, data["as_quote"]
            )
            return redirect("account_info:topup_review")
    else:
        form = _payment_form(request)
    return render(
        request,
        "billing/topup_payment.html",
        {"form": form, "back_url": _start(request).url},
        status=400 if form.is_bound else 200,
    )


def _review_context(request: AuthenticatedRequest) -> dict[str, Any] | None:
    """The draft to review, its payment choice, or None when a step is missing."""
    draft = _draft(request)
    chosen = cart.payment(request.session)
    if draft is None or chosen is None:
        return None
    account = request.user.account
    kind, lines, excl, incl = draft
    contact = Contact.objects.filter(account=account, public_id=chosen["contact"]).first()
    return {
        "kind": kind,
        "lines": lines,
        "amount_excl_vat": excl,
        "amount_vat": incl - excl,
        "amount_incl_vat": incl,
        "payment_mode": chosen["mode"],
        "payment_label": PaymentMode(chosen["mode"]).label,
        "contact": contact,
        "as_quote": chosen["as_quote"],
        "euros": cart.euros(request.session),
    }


@right_required(Right.BILLING)
@formula_required(*TOPUP_FORMULAS)
def topup_review(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: everything the top-up will contain, before confirming it."""
    context = _review_context(request)
    if context is None:
        messages.error(request, _("Complete your top-up first."))
        return _start(request)
    context["form"] = ConfirmTopUpForm(initial={"draft": cart.draft_key(request.session)})
    return render(request, "billing/topup_review.html", context)


@right_required(Right.BILLING)
@formula_required(*TOPUP_FORMULAS)
@require_POST
def topup_confirm(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-4: make the top-up: invoice or quote issued and emailed; a second click changes nothing."""
    account = request.user.account
    form = ConfirmTopUpForm(request.POST)
    posted = form.cleaned_data["draft"] if form.is_valid() else ""
    done = TopUp.objects.filter(account=account, draft_key=posted).first() if posted else None
    if done is not None:
        return redirect("account_info:topup_detail", public_id=done.public_id)
    context = _review_context(request)
    if context is None or posted != cart.draft_key(request.session):
        messages.error(request, _("Your top-up changed meanwhile: check it again before confirming."))
        return redirect("account_info:topup_review") if context else _start(request)
    try:
        topup = create_topup(
            account,
            kind=context["kind"],
            lines=context["lines"],
            euros_excl_vat=context["amount_excl_vat"],
            payment_mode=context["payment_mode"],
            billing_contact=context["contact"],
            as_quote=context["as_quote"],
            draft_key=posted,
            by=request.user,
            mandate=active_mandate(account),
            cash_only=cash_only(account),
            request=request,
        )
    except TopUpError as error:
        messages.error(request, str(error))
        return redirect("account_info:topup_payment")
    cart.clear(request.session)
    document = topup.document
    assert document is not None  # create_topup issued it
    if document.kind == DocumentKind.QUOTE:
        messages.success(
            request,
            _(
                "Thank you. Quote %(number)s was issued and emailed to you; your top-up is "
                "credited once it is paid."
            )
            % {"number": document.display_number},
        )
    else:
        messages.success(
            request,
            _(
                "Thank you. Invoice %(number)s was issued and emailed to you; your top-up is "
                "credited once it is paid."
            )
            % {"number": document.display_number},
        )
    return redirect("account_info:topup_detail", public_id=topup.public_id)


@right_required(Right.BILLING)
@formula_required(*TOPUP_FORMULAS)
def topup_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
    """LEDG-4: the confirmation of one top-up: its content, its document, its state."""
    topup = get_for_account(topups_of(request.user.account), request.user.account, public_id=public_id)
    return render(
        request,
        "billing/topup_detail.html",
        {
            "topup": topup,
            "lines": list(topup.lines.all()),
            "document": topup.document,
            "euros": topup.kind == TopUpKind.EUROS,
        },
    )


@right_required(Right.BILLING)
@formula_required(*TOPUP_FORMULAS)
def topup_list(request: AuthenticatedRequest) -> HttpResponseBase:
    """LEDG-5: the account's top-ups, all or only those awaiting payment (?status=pending)."""
    pending_only = request.GET.get("status") == TopUpStatus.PENDING
    table = TopUpTable(topups_of(request.user.account, pending_only=pending_only))
    configure_table(request, table, PER_PAGE)
    return render(request, "billing/topup_list.html", {"table": table, "pending_only": pending_only})
