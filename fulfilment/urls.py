from django.urls import path

from requests_app import converters  # noqa: F401  (registers <reference:...>)

from . import views

app_name = "fulfilment"

urlpatterns = [
    path("answer/<str:token>/", views.answer, name="answer"),
    path("answer/<str:token>/<slug:file_format>/", views.answer_file, name="answer_file"),
    path(
        "requests/<reference:reference>/answer/confirm/",
        views.account_reauthenticate,
        name="account_reauthenticate",
    ),
    path(
        "requests/<reference:reference>/answer/<slug:file_format>/",
        views.account_file,
        name="account_file",
    ),
]
