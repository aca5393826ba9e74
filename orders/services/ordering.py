"""Placing an order of any product type (ORD-2, ORD-3, ORD-4, ORD-6).

`submit_order` is what the review page's "Confirm the order" calls; the holder organisation and
contacts it receives are created beforehand, in the same transaction, by `accounts.organisations.create_organisation`
and `create_contact`. What each product type needs is its profile (orders.services.kinds); its
type-specific choices travel in `options` (stored in Order.options, priced by
orders.services.pricing). `csr_warnings` gives the non-blocking hints of ORD-6 shown on the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.formatting import amount_text
from accounts.mail import send_mail_on_commit
from accounts.models import Account, Contact, Organisation, Right, User
from billing.mailing import send_pdf_mail_on_commit
from billing.models import Document
from catalog.models import Product
from contracts.services.rules import refusal

from ..csr import CsrError, CsrInfo, parse_csr
from ..models import ExternalOrderLink, Order, OrderOrigin, OrderStatus
from .amounts import buyer_vat, order_amounts
from .approval import notify_approvers
from .dcv import start_dcv
from .domain_registry import locked_refusal
from .invitation import start_invitation
from .kinds import CsrMode, profile_for
from .payment import PaymentPlan, settle
from .pricing import PricingError, name_lines, option_lines, order_price

S = OrderStatus


class OrderError(ValueError):
    """The order cannot be placed as asked (a service-level refusal; forms catch these first)."""


def initial_status(account: Account, user: User | None) -> str:
    """ORD-5: in approval mode an order by anyone but an approver waits for approval; an order
    without a user (placed through an external order link) always does."""
    if user is None or (account.approval_mode and not user.has_right(Right.APPROVAL)):
        return S.AWAITING_APPROVAL
    return S.AWAITING_PAYMENT


def find_submitted(account: Account, token: str) -> Order | None:
    """The order already placed from this review token, if any (ORD-3 double confirmation)."""
    if not token:
        return None
    return Order.objects.filter(account=account, submission_token=token).first()


@dataclass(frozen=True)
class _Checked:
    csr: CsrInfo | None
    price: Decimal


def _check(
    account: Account,
    product: Product,
    period_months: int,
    organisation: Organisation,
    admin_contact: Contact,
    technical_contact: Contact,
    legal_representative: Contact | None,
    common_name: str,
    sans: list[str],
    csr: str,
    options: dict,
) -> _Checked:
    """The service's own guard: the forms check all this first, with messages per field."""
    profile = profile_for(product)
    if not product.active or not product.brand.active:
        raise OrderError(_("This product cannot be ordered here."))
    refused = refusal(account, product)  # CON-1 contract, CON-2 data processing terms
    if refused is not None:
        raise OrderError(refused.message)
    owned: list[Organisation | Contact] = [
        organisation,
        admin_contact,
        technical_contact,
        *([legal_representative] if legal_representative else []),
    ]
    if any(item.account_id != account.pk for item in owned):
        raise OrderError(_("The organisation and contacts must belong to your account."))
    if admin_contact.organisation_id != organisation.pk:
        raise OrderError(_("The administrative contact must belong to the holder organisation."))
    if profile.legal_representative and legal_representative is None:
        raise OrderError(_("This product needs the legal representative of the holder organisation."))
    if legal_representative is not None and legal_representative.organisation_id != organisation.pk:
        raise OrderError(_("The legal representative must belong to the holder organisation."))
    if not profile.names and sans:
        raise OrderError(_("This product secures no domain names."))
    locked = locked_refusal(account.pk, [common_name, *sans]) if product.is_server else None
    if locked:  # AUTO-3: the order form, the API and ACME all come through here
        raise OrderError(locked)
    info = None
    if csr and not profile.csr:
        raise OrderError(_("This product takes no CSR."))
    if csr:
        try:
            info = parse_csr(csr)
        except CsrError as exc:
            raise OrderError(exc.message) from None
    elif profile.csr and not csr_may_wait(product, options):
        raise OrderError(_("A CSR is required for this product."))
    try:
        price = order_price(product, period_months, common_name, sans, options)
    except PricingError:
        raise OrderError(_("This product is not sold for this period.")) from None
    return _Checked(info, price)


def csr_may_wait(product: Product, options: dict) -> bool:
    """ORD-4 / ORD-6: the CSR may come later by the holder's invitation (client certificates) or
    with the assistance option (we help make it)."""
    profile = profile_for(product)
    return (profile.invitation and options.get("csr_mode") == CsrMode.INVITATION) or (
        profile.assistance and bool(options.get("assistance"))
    )


CUSTOM_FIELDS = ("custom_1", "custom_2", "custom_3", "custom_4")  # ADM-7


def submit_order(
    *,
    account: Account,
    user: User | None,
    product: Product,
    period_months: int,
    organisation: Organisation,
    admin_contact: Contact,
    technical_contact: Contact,
    common_name: str,
    sans: list[str],
    csr: str,
    server_software: str = "",
    server_software_other: str = "",
    dcv_method: str = "",
    customer_reference: str = "",
    request: HttpRequest | None = None,
    submission_token: str = "",
    options: dict | None = None,
    legal_representative: Contact | None = None,
    origin: str = OrderOrigin.ORDERED,
    source_order: Order | None = None,
    external_link: ExternalOrderLink | None = None,
    payment: PaymentPlan | None = None,
    custom_fields: dict[str, str] | None = None,
    reference: str = "",
    automated: bool = False,
) -> Order:
    """ORD-3: place the order, audit it ("order.submitted") and email the confirmation.

    Priced by `order_price` with its options (ORD-2, ORD-4). Starts awaiting approval in approval
    mode for a user without the Approval right, or without a user (an external link) (ORD-5), else
    awaiting payment. A client certificate ordered with the invitation CSR mode emails the holder
    their link (ORD-4). `origin` and `source_order` say where a renewal, clone or migration came
    from (ORD-10, ORD-12); an `external_link` makes the origin "external link" (ORD-5). With a `submission_token` the call is idempotent: a second call with the
    same token returns the first order.

    AUTO-2: an ACME order gives its own `reference` ("ACME-…") and is `automated`: placed by a
    machine for the endpoint's creator, it awaits approval whenever the account is in approval
    mode, whatever that user's rights.

    ORD-9 (h19): with a `payment` (orders.services.payment.plan_payment), the order is priced and
    starts as the plan says, unless it awaits approval, and the payment is booked (`settle`) in the
    same transaction: tokens or balance debited, invoice or quote issued, promo code and coupon used.
    InsufficientBalance (or a coupon/promo refusal) rolls the whole order back.
    """
    existing = find_submitted(account, submission_token)
    if existing is not None:
        return existing
    options = dict(options or {})
    checked = _check(
        account,
        product,
        period_months,
        organisation,
        admin_contact,
        technical_contact,
        legal_representative,
        common_name,
        sans,
        csr,
        options,
    )
    if source_order is not None and source_order.account_id != account.pk:
        raise OrderError(_("The order to renew, clone or migrate must belong to your account."))
    profile = profile_for(product)
    if external_link is not None:
        origin = OrderOrigin.EXTERNAL_LINK
    # ORD-9 (h19): the payment chosen on the review page sets the price and the first status.
    status = initial_status(account, user)
    if automated and account.approval_mode:
        status = S.AWAITING_APPROVAL
    price = checked.price
    if payment is not None:
        options["payment"] = payment.as_options()
        price = payment.total_excl_vat
        if status != S.AWAITING_APPROVAL:
            status = payment.initial_status()
    order = Order(
        **({"reference": reference} if reference else {}),
        account=account,
        product=product,
        period_months=period_months,
        price_excl_vat=price,
        vat_rate=buyer_vat(account).rate,  # the buyer's real VAT, as its invoices apply it
        status=status,
        organisation=organisation,
        admin_contact=admin_contact,
        technical_contact=technical_contact,
        legal_representative=legal_representative if profile.legal_representative else None,
        server_software=server_software if profile.server_software else "",
        server_software_other=server_software_other
        if server_software == "other" and profile.server_software
        else "",
        common_name=common_name,
        sans=list(sans),
        csr=checked.csr.pem if checked.csr else "",
        csr_public_key_sha256=checked.csr.public_key_sha256 if checked.csr else "",
        dcv_method=dcv_method if profile.names else "",
        customer_reference=customer_reference,
        **{name: value for name, value in (custom_fields or {}).items() if name in CUSTOM_FIELDS},
        created_by=user,
        submission_token=submission_token,
        options=options,
        origin=origin,
        source_order=source_order,
        external_link=external_link,
    )
    try:
        with transaction.atomic():
            order.save()
            log_action(
                "order.submitted",
                obj=order,
                user=user,
                request=request,
                product=product.code,
                months=period_months,
                price_excl_vat=str(order.price_excl_vat),
                status=order.status,
                common_name=common_name,
                sans=list(sans),
                options=options,
                origin=origin,
                source_order=source_order.reference if source_order else "",
            )
            document = None
            if payment is not None and order.status != S.AWAITING_APPROVAL:
                document = settle(order, payment, user=user, request=request)  # ORD-9 (h19)
            start_dcv(order, user=user, request=request)  # ORD-8: server orders only
            send_order_confirmation(order, document)  # after the DCV start: it may move the status
            if external_link is None:
                # ORD-5: approvers hear of an order awaiting them (an external link's caller does it).
                notify_approvers(order)
            if not order.csr and options.get("csr_mode") == CsrMode.INVITATION and profile.invitation:
                start_invitation(order, user=user, request=request)
    except IntegrityError:
        # Two confirmations raced: the unique token let one through; answer with that one.
        existing = find_submitted(account, submission_token)
        if existing is None:
            raise
        return existing
    return order


def status_url(order: Order) -> str:
    return settings.SITE_URL + reverse("orders:detail", args=[order.reference])


def send_order_confirmation(order: Order, document: Document | None = None) -> None:
    """ORD-3: the technical contact receives the confirmation with the status page link, and the
    invoice or quote PDF attached when one was issued (ORD-9, h19)."""
    language = order.account.language
    profile = profile_for(order.product)
    order.refresh_from_db(fields=["status"])  # the status it really has now (payment, DCV moved it)
    with translation.override(language):
        figures = order_amounts(order)
        lines = (
            name_lines(order.product, order.period_months, order.common_name, order.sans)
            if profile.names
            else []
        )
        options = option_lines(order.product, order.period_months, order.options)
        context = {
            "reference": order.reference,
            "customer_reference": order.customer_reference,
            "product": str(order.product),
            "period_months": order.period_months,
            "names": [{"name": line.name, "kind": line.kind_label} for line in lines],
            "holder": order.common_name,
            "options": [
                {"label": line.label, "quantity": line.quantity, "amount": amount_text(line.amount)}
                for line in options
            ],
            "csr_by_invitation": order.options.get("csr_mode") == CsrMode.INVITATION and not order.csr,
            "holder_email": order.admin_contact.email,
            "tokens": figures.tokens,
            "price_excl_vat": amount_text(figures.excl_vat),
            "vat_rate": figures.rate_text,
            "vat_amount": amount_text(figures.vat_amount),
            "price_incl_vat": amount_text(figures.incl_vat),
            "vat_mention": figures.vat_mention,
            "status": str(S(order.status).label),
            "status_help": str(order.status_help),
            "contact_name": order.technical_contact.full_name,
            "status_url": status_url(order),
            "document": document.display_number if document is not None else "",
        }
    if document is not None:
        # ORD-3 (h19): billing's mailer attaches the stored PDF, reloaded by id when the task runs.
        send_pdf_mail_on_commit(
            "order_confirmation",
            [order.technical_contact.email],
            context,
            language,
            attachments=[("document", document.pk)],
        )
        return
    send_mail_on_commit(
        "order_confirmation", [order.technical_contact.email], context, language, account=order.account
    )


def _subject_value(info: CsrInfo, label: str) -> str:
    return next((value for key, value in info.subject if key == label), "")


def csr_warnings(
    account: Account,
    info: CsrInfo,
    *,
    common_name: str,
    sans: list[str],
    organisation_name: str,
    organisation_city: str = "",
    organisation_country: str = "",
    holder_email: str = "",
    check_names: bool = True,
    check_organisation: bool = True,
    exclude_order: Order | None = None,
) -> list[str]:
    """ORD-6 non-blocking hints ("automatisms"): a CSR already used on the account; names, O, L, C
    or the holder's email address differing from the order. None of them blocks the order.

    `check_names` compares the CSR's names with the names ordered (server certificates);
    `holder_email` compares its email address with the holder's (client certificates). Empty
    organisation city or country skip those comparisons; `check_organisation` False (a certificate
    that names no organisation, such as DV) skips the organisation, city and country ones.
    """
    warnings = []
    reused = Order.objects.filter(account=account, csr_public_key_sha256=info.public_key_sha256)
    if exclude_order is not None:
        reused = reused.exclude(pk=exclude_order.pk)
    references = list(reused.order_by("-created_at").values_list("reference", flat=True)[:3])
    if references:
        warnings.append(
            _(
                "This CSR's key was already used on your account (order %(references)s). Certificate "
                "authorities usually refuse to sign a key again: generate a new key and CSR unless this is "
                "a reissue."
            )
            % {"references": ", ".join(references)}
        )
    if check_names:
        warnings += _name_warnings(info, common_name, sans)
    if holder_email:
        csr_email = _subject_value(info, "emailAddress") or (
            info.common_name if "@" in info.common_name else ""
        )
        if csr_email and csr_email.casefold() != holder_email.casefold():
            warnings.append(
                _(
                    "The CSR's email address “%(csr)s” differs from the holder's “%(email)s”: the "
                    "certificate will carry the holder's address."
                )
                % {"csr": csr_email, "email": holder_email}
            )
    if not check_organisation:
        return warnings
    csr_org = _subject_value(info, "O")
    if csr_org and csr_org.casefold() != organisation_name.strip().casefold():
        warnings.append(
            _(
                "The CSR's organisation “%(csr)s” differs from the holder organisation “%(org)s”: "
                "the certificate will carry the holder organisation."
            )
            % {"csr": csr_org, "org": organisation_name}
        )
    csr_city = _subject_value(info, "L")
    if csr_city and organisation_city and csr_city.casefold() != organisation_city.strip().casefold():
        warnings.append(
            _("The CSR's locality “%(csr)s” differs from the holder organisation's city “%(city)s”.")
            % {"csr": csr_city, "city": organisation_city}
        )
    csr_country = _subject_value(info, "C")
    if csr_country and organisation_country and csr_country.upper() != organisation_country.strip().upper():
        warnings.append(
            _("The CSR's country “%(csr)s” differs from the holder organisation's country “%(country)s”.")
            % {"csr": csr_country, "country": organisation_country}
        )
    return warnings


def _name_warnings(info: CsrInfo, common_name: str, sans: list[str]) -> list[str]:
    warnings = []
    csr_cn = info.common_name.lower()
    if csr_cn and csr_cn != common_name:
        warnings.append(
            _(
                "The CSR's common name “%(csr)s” differs from the common name ordered “%(cn)s”: "
                "the certificate will carry the names ordered."
            )
            % {"csr": info.common_name, "cn": common_name}
        )
    ordered = {common_name, *sans}
    in_csr = {name.lower() for name in info.sans} | ({csr_cn} if csr_cn else set())
    if in_csr - ordered:
        warnings.append(
            _("The CSR holds names that are not ordered: %(names)s.")
            % {"names": ", ".join(sorted(in_csr - ordered))}
        )
    if info.sans and ordered - in_csr:
        warnings.append(
            _("Names ordered that the CSR does not hold: %(names)s.")
            % {"names": ", ".join(sorted(ordered - in_csr))}
        )
    return warnings
