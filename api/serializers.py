"""What the API reads and answers (AUTO-6). Output serializers describe the answers for the
OpenAPI schema; input serializers check the JSON types before the portal's own forms check the
content (the same forms as the pages: one set of rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import DocumentKind, DocumentStatus
from catalog.models import ProductType
from orders.models import Certificate, DcvMethod, OrderOrigin, OrderStatus, RevocationReason, ServerSoftware
from orders.services import DOWNLOAD_FORMATS
from orders.services.actions import MAX_COMMENT_LENGTH
from orders.services.payment import Method
from orders.services.reissue import GRACE_DAYS, OldCertificate, ReissueReason

# Problems (RFC 9457) -----------------------------------------------------------------------------


class ProblemErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    pointer = serializers.CharField(help_text=_("JSON pointer of the field the message is about."))


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    # RFC 9457's "errors" member: the serializer's metaclass moves declared fields away, so the
    # instance keeps Serializer.errors; the DRF stubs cannot tell a field of that name from it.
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


# Products and prices -----------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    months = serializers.IntegerField()
    public_price = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        coerce_to_string=True,
        help_text=_("The account's price excl. VAT for one unit (its billing formula's grid)."),
    )


class ProductSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    brand = serializers.CharField(source="brand.name")
    type = serializers.ChoiceField(source="product_type", choices=ProductType.choices)
    validation = serializers.CharField()
    is_test = serializers.BooleanField()
    orderable = serializers.BooleanField()
    refusal = serializers.CharField(
        allow_blank=True, help_text=_("Why the account cannot order it now (empty when it can).")
    )
    periods = PeriodSerializer(many=True)


# Organisations -----------------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    job_title = serializers.CharField(allow_blank=True)


class OrganisationSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    registration_number = serializers.CharField()
    address = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    is_account_holder = serializers.BooleanField()
    contacts = ContactSerializer(many=True)


class OrganisationInputSerializer(serializers.Serializer):
    registration_number = serializers.CharField(
        max_length=40, help_text=_("SIREN or SIRET for a French organisation.")
    )
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=2, help_text=_("ISO 3166 code, e.g. FR."))
    vat_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    naf_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    address = serializers.CharField(max_length=250)
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class ContactDetailSerializer(ContactSerializer):
    phone = serializers.CharField(allow_blank=True)
    organisation = serializers.CharField(source="organisation.public_id")
    organisation_name = serializers.CharField(source="organisation.name")


class ContactInputSerializer(serializers.Serializer):
    organisation = serializers.CharField(
        max_length=40, help_text=_("An organisation id from /organisations.")
    )
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=40)
    job_title = serializers.CharField(max_length=100, required=False, allow_blank=True)


# Orders ------------------------------------------------------------------------------------------


class DownloadLinkSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(DOWNLOAD_FORMATS))
    url = serializers.CharField()


class CertificateSerializer(serializers.Serializer):
    serial = serializers.CharField()
    common_name = serializers.CharField()
    state = serializers.ChoiceField(choices=Certificate.State.choices)
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocable = serializers.BooleanField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    acceptable = serializers.BooleanField(
        help_text=_("The API user may accept it now (POST …/accept), as on the status page.")
    )
    acceptance_deadline = serializers.DateTimeField(
        allow_null=True,
        help_text=_("For a brand that requires acceptance: accept it by then, or the authority revokes it."),
    )
    downloads = DownloadLinkSerializer(many=True)


class OrderSummarySerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    product = serializers.CharField(source="product.code")
    common_name = serializers.CharField()
    sans = serializers.ListField(child=serializers.CharField())
    organisation = serializers.CharField(source="organisation.name", allow_null=True)
    customer_reference = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class ActionsSerializer(serializers.Serializer):
    cancel = serializers.BooleanField()
    renew = serializers.BooleanField()
    renew_refusal = serializers.CharField(allow_blank=True)
    reissue = serializers.BooleanField()
    reissue_refusal = serializers.CharField(allow_blank=True)
    revoke = serializers.BooleanField()
    approve = serializers.BooleanField(help_text=_("Approve or reject it (an approver, in approval mode)."))
    pay = serializers.BooleanField(
        help_text=_("Pay it with the tokens or balance now topped up (POST …/pay).")
    )
    comment = serializers.BooleanField()


class OrderDetailSerializer(OrderSummarySerializer):
    origin = serializers.ChoiceField(choices=OrderOrigin.choices)
    period_months = serializers.IntegerField()
    price_excl_vat = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    dcv_method = serializers.CharField(allow_blank=True)
    server_software = serializers.CharField(allow_blank=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    source_order = serializers.CharField(allow_null=True)
    certificates = CertificateSerializer(many=True)
    actions = ActionsSerializer(help_text=_("What the API user may do now, as on the status page."))


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=Method.choices, required=False, help_text=_("The account's default method when omitted.")
    )
    term = serializers.IntegerField(required=False, min_value=0, max_value=365)
    quote = serializers.BooleanField(required=False, default=False)
    promo_code = serializers.CharField(required=False, allow_blank=True, max_length=40)
    coupon = serializers.CharField(required=False, allow_blank=True, max_length=40)


class _NamesInput(serializers.Serializer):
    sans = serializers.ListField(child=serializers.CharField(max_length=253), required=False, max_length=500)


class OrderInputSerializer(_NamesInput):
    # ORD-2: what the order form asks, with the holder and contacts picked among the account's.

    product = serializers.CharField(max_length=60, help_text=_("A product code from /products."))
    months = serializers.IntegerField(min_value=1, max_value=120)
    organisation = serializers.CharField(
        max_length=16, help_text=_("An organisation id from /organisations.")
    )
    admin_contact = serializers.CharField(max_length=16)
    technical_contact = serializers.CharField(
        max_length=16, required=False, help_text=_("The administrative contact when omitted.")
    )
    legal_representative = serializers.CharField(max_length=16, required=False)
    common_name = serializers.CharField(max_length=253, required=False)
    dcv_method = serializers.ChoiceField(choices=DcvMethod.choices, required=False)
    csr = serializers.CharField(required=False, max_length=20000)
    server_software = serializers.ChoiceField(choices=ServerSoftware.choices, required=False)
    server_software_other = serializers.CharField(required=False, allow_blank=True, max_length=100)
    chain = serializers.CharField(required=False, allow_blank=True, max_length=60)
    assistance = serializers.BooleanField(required=False, default=False)
    licences = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    customer_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)
    custom_1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    custom_2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    custom_3 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    custom_4 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    payment = PaymentInputSerializer(required=False)


class RenewInputSerializer(serializers.Serializer):
    # ORD-10: a renewal is identical; only the period, a new CSR, the reference and the payment change.

    months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    csr = serializers.CharField(required=False, max_length=20000)
    customer_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)
    payment = PaymentInputSerializer(required=False)


class ReissueInputSerializer(_NamesInput):
    reason = serializers.ChoiceField(choices=ReissueReason.choices)
    csr = serializers.CharField(max_length=20000)
    replaced = serializers.CharField(
        max_length=64,
        required=False,
        help_text=_("Serial of the certificate replaced (the latest valid one when omitted)."),
    )
    old_certificate = serializers.ChoiceField(choices=OldCertificate.choices, required=False)
    grace_days = serializers.ChoiceField(choices=list(GRACE_DAYS), required=False)
    server_software = serializers.ChoiceField(choices=ServerSoftware.choices, required=False)
    server_software_other = serializers.CharField(required=False, allow_blank=True, max_length=100)
    chain = serializers.CharField(required=False, allow_blank=True, max_length=60)


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class RevokeInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RevocationReason.choices)


class CommentSerializer(serializers.Serializer):
    author = serializers.CharField()
    from_staff = serializers.BooleanField(help_text=_("Written by our team."))
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_COMMENT_LENGTH)


class PaymentInstructionsSerializer(serializers.Serializer):
    amount_due = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    received = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    invoice = serializers.CharField()
    reference = serializers.CharField(help_text=_("The reference to quote with the payment."))
    payee = serializers.CharField()
    iban = serializers.CharField(allow_blank=True)
    bic = serializers.CharField(allow_blank=True)
    address_lines = serializers.ListField(child=serializers.CharField())
    card_payment_page = serializers.CharField(
        allow_blank=True, help_text=_("The status page where a signed-in user pays by card.")
    )


class PaymentStateSerializer(serializers.Serializer):
    method = serializers.CharField(allow_blank=True)
    method_label = serializers.CharField(allow_blank=True)
    paid = serializers.BooleanField()
    paid_at = serializers.DateTimeField(allow_null=True)
    invoice = serializers.CharField(allow_null=True)
    pay_with_holdings = serializers.BooleanField(
        help_text=_("Tokens or balance fell short after approval: POST …/pay once topped up.")
    )
    shortfall = serializers.CharField(allow_blank=True)
    instructions = PaymentInstructionsSerializer(allow_null=True)


# Invoices ----------------------------------------------------------------------------------------


class InvoiceSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    number = serializers.CharField(source="display_number")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    status = serializers.ChoiceField(choices=DocumentStatus.choices)
    issue_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    total_excl_vat = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    total_vat = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    total_incl_vat = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    related_number = serializers.CharField(
        allow_null=True, help_text=_("The invoice a credit note corrects.")
    )
    pdf_url = serializers.CharField()


# Domains -----------------------------------------------------------------------------------------


class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField()
    validated_at = serializers.DateTimeField(allow_null=True)
    reusable_until = serializers.DateTimeField(
        allow_null=True, help_text=_("Until when this validation counts for a new certificate.")
    )
    reusable = serializers.BooleanField()
    method = serializers.CharField()
    order = serializers.CharField(help_text=_("Reference of the order whose check this is."))


# Work lists (LIST-3) -----------------------------------------------------------------------------


class CertificateToAcceptSerializer(serializers.Serializer):
    order = serializers.CharField()
    serial = serializers.CharField()
    common_name = serializers.CharField()
    brand = serializers.CharField()
    delivered_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(
        allow_null=True, help_text=_("Accept it by then, or the authority revokes it.")
    )
    accept_url = serializers.CharField()
