from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("what-we-collect/", views.what_we_collect, name="what_we_collect"),
]
