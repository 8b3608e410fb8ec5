from django.urls import path

from requests_app import converters  # noqa: F401  (registers <reference:...>)

from .views import auth, intake, metrics, queue, request_page

app_name = "staff"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("requests/<reference:reference>/", request_page.request_page, name="request"),
    path("requests/<reference:reference>/reveal/", request_page.reveal, name="reveal"),
    path("requests/<reference:reference>/document/", request_page.agent_document, name="document"),
    path(
        "requests/<reference:reference>/answer/<slug:file_format>/",
        request_page.export_file,
        name="export",
    ),
    path("requests/<reference:reference>/<slug:action>/", request_page.act, name="act"),
    path("sign-in/", auth.sign_in, name="sign_in"),
    path("verify/", auth.verify, name="verify"),
    path("enroll/", auth.enroll, name="enroll"),
    path("backup-codes/", auth.backup_codes, name="backup_codes"),
    path("sign-out/", auth.sign_out, name="sign_out"),
    path("metrics/", metrics.metrics_page, name="metrics"),
    path("metrics.csv", metrics.metrics_csv, name="metrics_csv"),
    path("intake/", intake.intake_page, name="intake"),
]
