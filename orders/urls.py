"""Menu "Your orders" (NAV-1): lists, status pages, their actions and downloads, mounted at /orders/.

Fixed paths come before "<reference>/"; the certificate actions before the download pattern,
whose last segment would otherwise take "revoke" for a format.
"""

from django.urls import path

from .views import (
    actions,
    approval,
    custom_fields,
    domains,
    downloads,
    links,
    lists,
    payment,
    robots,
    signature_options,
    status,
)

app_name = "orders"
urlpatterns = [
    path("", lists.order_list, name="list"),
    path("export.csv", lists.order_export_csv, name="export_csv"),
    path("export.xlsx", lists.order_export_xlsx, name="export_xlsx"),
    path("columns/", lists.order_columns, name="columns"),
    path("approval/", approval.approval_list, name="approval"),
    path("to-accept/", actions.to_accept, name="to_accept"),
    path("links/", links.link_list, name="links"),
    path("links/new/", links.link_new, name="link_new"),
    path("links/<int:pk>/disable/", links.link_disable, name="link_disable"),
    path("links/<int:pk>/enable/", links.link_enable, name="link_enable"),
    path("domains/", domains.domain_list, name="domains"),  # AUTO-3
    path("domains/register/", domains.domain_register, name="domain_register"),
    path("domains/<str:name>/", domains.domain_detail, name="domain"),
    path("domains/<str:name>/caa/", domains.domain_caa, name="domain_caa"),
    path("domains/<str:name>/validate/", domains.domain_dcv_start, name="domain_dcv"),
    path("domains/<str:name>/validate/<int:pk>/check/", domains.domain_dcv_check, name="domain_dcv_check"),
    path("domains/<str:name>/lock/", domains.domain_lock, name="domain_lock"),
    path("domains/<str:name>/unlock/", domains.domain_unlock, name="domain_unlock"),
    path("<str:reference>/", status.detail, name="detail"),
    path("<str:reference>/approve/", approval.approve, name="approve"),
    path("<str:reference>/approval/cancel/", approval.approval_cancel, name="approval_cancel"),
    path("<str:reference>/cancel/", actions.cancel, name="cancel"),
    path("<str:reference>/pay/", payment.pay, name="pay"),
    path("<str:reference>/auto-renewal/", robots.auto_renewal_toggle, name="auto_renewal"),
    path("<str:reference>/do-not-renew/", robots.do_not_renew_toggle, name="do_not_renew"),
    path("<str:reference>/revoke-all/", actions.revoke_all_view, name="revoke_all"),
    path("<str:reference>/comments/", actions.comment, name="comment"),
    path("<str:reference>/custom-fields/", custom_fields.custom_fields, name="custom_fields"),
    path("<str:reference>/signature-users/", signature_options.add_users, name="signature_users"),
    path("<str:reference>/documents/", actions.send_document, name="send_document"),
    path("<str:reference>/documents/<int:document_id>/", actions.download_document, name="document"),
    path("<str:reference>/certificates/<str:serial>/revoke/", actions.revoke, name="revoke"),
    path("<str:reference>/certificates/<str:serial>/note/", actions.note, name="note"),
    path("<str:reference>/certificates/<str:serial>/accept/", actions.accept, name="accept"),
    path("<str:reference>/certificates/<str:serial>/<str:fmt>/", downloads.download, name="download"),
]
