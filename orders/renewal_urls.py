"""Menu "Operations" (NAV-1), an order's life: renewal (ORD-10), reissue (ORD-11), clone and migrate
(ORD-12), import (ORD-15). Mounted at /operations/ beside orders.operations_urls:
    path("operations/", include("orders.renewal_urls")),
"""

from django.urls import path

from .views import imports, lifecycle_lists, reissue, renewals, robots

app_name = "lifecycle"
urlpatterns = [
    path("renewals/", renewals.renewal_list, name="renewals"),
    path("renewals/other/", renewals.renew_other, name="renew_other"),
    path("reissue/", reissue.reissue_list, name="reissue_list"),
    path("reissue/recommended/", robots.recommended_reissues, name="recommended_reissues"),
    path("auto-renewal/", robots.auto_renewal_list, name="auto_renewal"),
    path("reissue/<str:reference>/", reissue.reissue_order, name="reissue"),
    path("clone/", lifecycle_lists.clone_list, name="clone"),
    path("migrate/", lifecycle_lists.migrate_list, name="migrate"),
    path("migrate/<str:reference>/", lifecycle_lists.migrate_order, name="migrate_order"),
    path("import/", imports.import_form, name="import"),
    path("import/result/<str:token>/", imports.import_result, name="import_result"),
]
