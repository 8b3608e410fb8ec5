from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from core import views as core_views
from requests_app.not_found import malformed_reference

# The admin (reference data: the inventory, data systems, staff users) asks for the second
# factor as well as the password.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    path("", include("inventory.urls")),
    path("", include("consent.urls")),
    path("account/", include("accounts.urls")),
    path("requests/", include("requests_app.urls")),
    path("staff/", include("staff.urls")),
    path("", include("fulfilment.urls")),
    path("admin/", admin.site.urls),
    # Last: an address under /requests/ that nothing above took is a mistyped reference. The
    # portal's page says so, even with DEBUG on (requests_app/not_found.py).
    re_path(r"^requests/[^/]+/(?:.+/)?$", malformed_reference),
]
