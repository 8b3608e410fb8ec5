"""The privacy officer's editor for the data inventory (the notice's section I).

Slugs are fixed once a row exists: the know report, the opt-out and the registry look rows up by
slug, so renaming one would silently break them. Names and statements are free to edit.
"""

from django.contrib import admin
from django.db.models import Count, Prefetch

from .models import BusinessPurpose, Category, Sharing, Source, ThirdPartyCategory


class SlugFixedOnceSavedMixin(admin.ModelAdmin):
    """Slug typed (prefilled from the name) when a row is added, read-only afterwards."""

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "slug") if obj is not None else readonly

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("name",)} if obj is None else {}


class ReferenceAdmin(SlugFixedOnceSavedMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "display_order", "used_by")
    list_editable = ("display_order",)
    search_fields = ("name", "slug", "description")
    ordering = ("display_order", "name")
    fields = ("name", "slug", "description", "display_order")
    # The reverse relation counted in the "used by" column.
    used_by_relation = "categories"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(used_by_count=Count(self.used_by_relation))

    @admin.display(description="used by", ordering="used_by_count")
    def used_by(self, obj):
        return obj.used_by_count


@admin.register(Source)
class SourceAdmin(ReferenceAdmin):
    pass


@admin.register(BusinessPurpose)
class BusinessPurposeAdmin(ReferenceAdmin):
    pass


@admin.register(ThirdPartyCategory)
class ThirdPartyCategoryAdmin(ReferenceAdmin):
    used_by_relation = "sharings"


class SharingInline(admin.TabularInline):
    model = Sharing
    extra = 0
    fields = ("third_party", "kind", "unless_opted_out", "reason")
    ordering = ("kind", "third_party__display_order")


@admin.register(Category)
class CategoryAdmin(SlugFixedOnceSavedMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "is_sold", "retention_days", "display_order")
    list_display_links = ("name",)
    list_filter = ("kind", "sources", "purposes")
    search_fields = (
        "name",
        "slug",
        "description",
        "purpose_statement",
        "sale_statement",
        "disclosure_statement",
        "retention_statement",
    )
    ordering = ("display_order", "name")
    filter_horizontal = ("sources", "purposes")
    inlines = [SharingInline]
    fieldsets = [
        (None, {"fields": ("name", "slug", "kind", "display_order", "description")}),
        (
            "What the privacy notice says",
            {"fields": ("purpose_statement", "sale_statement", "disclosure_statement")},
        ),
        ("Retention", {"fields": ("retention_statement", "retention_days")}),
        ("Sources and business purposes", {"fields": ("sources", "purposes")}),
    ]

    def get_queryset(self, request):
        # is_sold reads the sharings: load them once for the whole list, not once per row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("sharings", queryset=Sharing.objects.only("category", "kind"))
            )
        )

    @admin.display(boolean=True, description="sold")
    def is_sold(self, obj):
        return obj.is_sold


@admin.register(Sharing)
class SharingAdmin(admin.ModelAdmin):
    list_display = ("category", "kind", "third_party", "unless_opted_out")
    list_filter = ("kind", "third_party", "category__kind")
    list_select_related = ("category", "third_party")
    search_fields = ("category__name", "third_party__name", "reason")
    autocomplete_fields = ("category", "third_party")
    fields = ("category", "third_party", "kind", "unless_opted_out", "reason")
