from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path, register_converter

from identity import staff_auth
from identity import views as identity_views
from privacyportal import views as portal_views
from requests import health, views
from requests.admin import case_tools
from requests.admin import post as admin_post
from requests.admin import views as admin_views
from requests.api import document
from requests.api.auth import api_not_found


class ReferenceConverter:
    """A case reference in a URL: letters, digits and dashes only, so anything else (a NUL byte that PostgreSQL
    refuses in a query, a path trick) is a plain 404 before any view or query sees it."""

    regex = "[A-Za-z0-9-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("requests/new/", views.start, name="start"),
    path("accessibility/", portal_views.accessibility, name="accessibility"),
    path("requests/new/<str:kind>/", views.new_request, name="new_request"),
    path("requests/new/<str:kind>/check/", views.request_check, name="request_check"),
    path("requests/new/<str:kind>/<str:step>/", views.new_request, name="request_step"),
    path("requests/submitted/", views.submitted, name="submitted"),
    path("status/", views.status_sign_in, name="status"),
    path("status/code/", views.status_code, name="status_code"),
    path("status/sign-out/", views.status_sign_out, name="status_sign_out"),
    path("status/cases/", views.status_cases, name="status_cases"),
    path("status/cases/<reference:reference>/", views.status_case, name="status_case"),
    path("status/cases/<reference:reference>/letters/<int:pk>/", views.status_letter, name="status_letter"),
    # Final steps are asked first on a page of their own: GET says what happens, POST does it.
    path(
        "status/cases/<reference:reference>/decline-fee/", views.status_decline_fee, name="status_decline_fee"
    ),
    path("status/cases/<reference:reference>/withdraw/", views.status_withdraw, name="status_withdraw"),
    path("status/cases/<reference:reference>/download/", views.status_download, name="status_download"),
    path(
        "status/cases/<reference:reference>/download/file/",
        views.status_download_file,
        name="status_download_file",
    ),
    path("verify/", identity_views.verify_code, name="verify_code"),
    path("verify/resend/", identity_views.resend, name="resend_code"),
    path("verify/done/", identity_views.verified, name="verified"),
    # The emailed link redirects to verify/link/ at once: the token leaves the URL (privacyportal/redact.py).
    path("verify/link/", identity_views.verify_link_confirm, name="verify_link_confirm"),
    path("verify/<str:token>/", identity_views.verify_link, name="verify_link"),
    path("confirm-agent/<str:token>/", identity_views.confirm_agent, name="confirm_agent"),
    # A system owner's emailed task link redirects to owner-task/ at once: the token leaves the URL (redact.py).
    path("owner-task/", views.owner_task, name="owner_task"),
    path("owner-task/<str:token>/", views.owner_task_link, name="owner_task_link"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/evidence/<int:pk>/", identity_views.evidence_download, name="evidence_download"),
    path("admin/enrol/", staff_auth.enrol, name="staff_enrol"),
    path("admin/enrol/<str:token>/", staff_auth.enrol_link, name="staff_enrol_link"),
    path(
        "admin/letters/<int:pk>/", admin.site.admin_view(admin_views.letter_download), name="letter_download"
    ),
    path(
        "admin/post/<int:pk>/",
        admin.site.admin_view(admin_post.postal_letter_download),
        name="postal_letter_download",
    ),
    path(
        "admin/post/<int:pk>/posted/",
        admin.site.admin_view(admin_post.postal_letter_posted),
        name="postal_letter_posted",
    ),
    path(
        "admin/packets/<int:privacy_request_id>/",
        admin.site.admin_view(admin_views.packet_download),
        name="packet_download",
    ),
    path("admin/dashboard/", admin.site.admin_view(admin_views.dashboard), name="admin_dashboard"),
    path("admin/cases/<int:pk>/notes/", admin.site.admin_view(case_tools.add_note), name="case_add_note"),
    path(
        "admin/dashboard/ccpa-<int:year>.csv",
        admin.site.admin_view(admin_views.ccpa_csv),
        name="admin_ccpa_csv",
    ),
    path("admin/tokens/", admin.site.admin_view(staff_auth.api_tokens), name="api_tokens"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("requests.api.urls")),
    path("api/schema/", document.SchemaView.as_view(), name="api_schema"),
    path("api/docs/", document.api_docs, name="api_docs"),
    re_path(r"^api/", api_not_found),
]

# Every API error is JSON (a 500 or a refused upload too); pages keep their templates.
handler400 = "privacyportal.errors.bad_request"
handler403 = "privacyportal.errors.permission_denied"
handler404 = "privacyportal.errors.page_not_found"
handler500 = "privacyportal.errors.server_error"
