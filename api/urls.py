"""The REST API (AUTO-6) at /api/v1/; its OpenAPI schema at /api/v1/schema/, its reference page
(for the portal's users) at /api/v1/docs/. Any other path under /api/v1/ answers a 404 problem.

Path parameters are matched by their shapes (an order reference, a certificate serial, a document
id), so a value that cannot be one answers 404 before any query."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.api.views import MeView
from orders.services import DOWNLOAD_FORMATS

from . import (
    action_views,
    catalog_views,
    comment_views,
    docs,
    domain_views,
    invoice_views,
    order_views,
    payment_views,
    worklist_views,
)
from .problems import not_found

ORDER = r"^orders/(?P<reference>[A-Za-z0-9_-]{1,40})"
CERTIFICATE = ORDER + r"/certificates/(?P<serial>[A-Fa-f0-9:]{1,64})"
FORMATS = "|".join(DOWNLOAD_FORMATS)

app_name = "api"
urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("products", catalog_views.ProductList.as_view(), name="products"),
    path("organisations", catalog_views.OrganisationList.as_view(), name="organisations"),
    path("contacts", catalog_views.ContactList.as_view(), name="contacts"),
    path("orders", order_views.OrderList.as_view(), name="orders"),
    re_path(ORDER + "$", order_views.OrderDetail.as_view(), name="order"),
    re_path(ORDER + "/renew$", order_views.OrderRenew.as_view(), name="renew"),
    re_path(ORDER + "/reissue$", action_views.OrderReissue.as_view(), name="reissue"),
    re_path(ORDER + "/cancel$", action_views.OrderCancel.as_view(), name="cancel"),
    re_path(ORDER + "/revoke$", action_views.OrderRevokeAll.as_view(), name="revoke_all"),
    re_path(ORDER + "/approve$", action_views.OrderApprove.as_view(), name="approve"),
    re_path(ORDER + "/reject$", action_views.OrderReject.as_view(), name="reject"),
    re_path(ORDER + "/pay$", action_views.OrderPay.as_view(), name="pay"),
    re_path(ORDER + "/payment$", payment_views.OrderPayment.as_view(), name="payment"),
    re_path(ORDER + "/comments$", comment_views.OrderComments.as_view(), name="comments"),
    re_path(CERTIFICATE + "/revoke$", action_views.CertificateRevoke.as_view(), name="revoke"),
    re_path(CERTIFICATE + "/accept$", action_views.CertificateAccept.as_view(), name="accept"),
    re_path(
        CERTIFICATE + rf"/(?P<fmt>{FORMATS})$", action_views.CertificateDownload.as_view(), name="download"
    ),
    path("approvals", worklist_views.ApprovalList.as_view(), name="approvals"),
    path("certificates/to-accept", worklist_views.CertificatesToAccept.as_view(), name="to_accept"),
    path("domains", domain_views.DomainList.as_view(), name="domains"),
    path("invoices", invoice_views.InvoiceList.as_view(), name="invoices"),
    re_path(
        r"^invoices/(?P<public_id>[A-Za-z0-9]{1,32})/pdf$",
        invoice_views.InvoicePdf.as_view(),
        name="invoice_pdf",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.reference, name="docs"),
    re_path(r"^", not_found),
]
