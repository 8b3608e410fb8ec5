from django.urls import path

from requests_app import converters  # noqa: F401  (registers <reference:...>)

from . import views

app_name = "requests"

urlpatterns = [
    path("", views.my_requests, name="mine"),
    path("new/", views.new_request, name="new"),
    path("new/details/", views.request_details, name="details"),
    path("status/", views.status_lookup, name="status_lookup"),
    # Before the links with a token: "sent" and "done" are pages, never a link's token.
    path("status/sent/", views.status_sent, name="status_sent"),
    path("status/<str:token>/", views.status_open, name="status_open"),
    path("agent-confirm/done/", views.agent_confirmed, name="agent_confirmed"),
    path("agent-confirm/<str:token>/", views.agent_confirm, name="agent_confirm"),
    path("<reference:reference>/", views.detail, name="detail"),
    path("<reference:reference>/confirm-email/", views.confirm_email, name="confirm_email"),
    path("<reference:reference>/new-code/", views.resend_code, name="resend_code"),
    path("<reference:reference>/verify/", views.verify, name="verify"),
    path("<reference:reference>/confirm-delete/", views.confirm_delete, name="confirm_delete"),
    path("<reference:reference>/withdraw/", views.withdraw, name="withdraw"),
]
