from django import forms
from django.contrib import admin

from .models import Consumer, DataSystem, Order, PersonalRecord, Suppression


@admin.register(DataSystem)
class DataSystemAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "connector", "contact_email")
    list_filter = ("kind", "connector")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


class ChoicesOnceInline(admin.TabularInline):
    """Loads each drop-down's choices once per page instead of once per inline row: a consumer
    with 40 records would otherwise cost three queries a row."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if isinstance(formfield, forms.ModelChoiceField) and db_field.name != "consumer":
            formfield.choices = list(formfield.iterator(formfield))
        return formfield


class PersonalRecordInline(ChoicesOnceInline):
    model = PersonalRecord
    fields = ("category", "value", "details", "source", "data_system", "collected_at")
    extra = 0
    show_change_link = True


class OrderInline(ChoicesOnceInline):
    model = Order
    fields = ("order_number", "placed_at", "items", "total", "data_system")
    extra = 0


@admin.register(Consumer)
class ConsumerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "phone", "shop_customer_id", "user", "updated_at")
    search_fields = ("full_name", "email", "shop_customer_id", "phone")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [PersonalRecordInline, OrderInline]


@admin.register(PersonalRecord)
class PersonalRecordAdmin(admin.ModelAdmin):
    list_display = ("consumer", "category", "value", "source", "data_system", "collected_at")
    list_filter = ("category", "data_system", "source")
    search_fields = (
        "value",
        "consumer__full_name",
        "consumer__email",
        "consumer__shop_customer_id",
    )
    list_select_related = ("consumer", "category", "source", "data_system")
    raw_id_fields = ("consumer",)
    date_hierarchy = "collected_at"


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_number", "consumer", "placed_at", "total", "data_system")
    list_filter = ("data_system",)
    search_fields = ("order_number", "consumer__full_name", "consumer__email")
    list_select_related = ("consumer", "data_system")
    raw_id_fields = ("consumer",)
    date_hierarchy = "placed_at"


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Keyed hashes only: nobody can read who is on the list, only match against it."""

    list_display = ("pk", "created_at")
    readonly_fields = [f.name for f in Suppression._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
