from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("do-not-sell/", views.do_not_sell, name="do_not_sell"),
    path("do-not-sell/received/", views.opt_out_received, name="opt_out_received"),
    path("do-not-sell/allow/", views.allow_sale, name="allow_sale"),
    path("do-not-sell/authorize/<str:token>/", views.reauthorize, name="reauthorize"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/link/", views.preferences_link_request, name="preferences_link_request"),
    path("preferences/link/sent/", views.preferences_link_sent, name="preferences_link_sent"),
    path("preferences/link/<str:token>/", views.preferences_link, name="preferences_link"),
]
