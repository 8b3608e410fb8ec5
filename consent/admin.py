"""The officer's side of consent in the admin: sale statuses, partner notices, preference
changes and the suppression lists. (The inventory's editor is inventory/admin.py.)"""

import csv
import logging

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from .identifiers import email_sha256
from .models import (
    ConsentEvent,
    ConsentSource,
    MarketingPreference,
    PartnerNotice,
    PendingOptOut,
    PreferenceChange,
    SaleStatus,
)
from .selectors import (
    consumers_whose_data_may_be_sold,
    postal_suppression_list,
    sale_suppression_list,
)
from .services import (
    OptInRefused,
    partner_notices_mark_told,
    preference_changes_mark_applied,
    sale_opt_in,
    sale_opt_out,
)

logger = logging.getLogger(__name__)


# --- Opt-out of sale, partners, and marketing preferences -----------------------------------------
#
# The officer's side of consent. Rules live in consent.services; these classes check who is
# asking (the OTP admin site: staff with a verified second factor, plus model permissions) and
# call them. History rows are read-only here as everywhere.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(str(cell)) for cell in row])
    return response


def _require_verified_staff(request) -> None:
    """Suppression lists leave the company: only staff signed in with their second factor."""
    user = request.user
    if not (user.is_active and user.is_staff and getattr(user, "is_verified", lambda: False)()):
        raise PermissionDenied


@admin.register(SaleStatus)
class SaleStatusAdmin(admin.ModelAdmin):
    """One row per consumer (created with the consumer): the privacy officer's list of who may
    be sold, and the actions staff take on it."""

    list_display = (
        "consumer",
        "consumer_email",
        "state",
        "may_be_sold",
        "changed_at",
        "source",
        "reauthorization_ask_from",
        "reauthorization_asked_at",
    )
    list_filter = ("state", "source", "opted_in_by")
    search_fields = ("consumer__full_name", "consumer__email", "consumer__phone")
    list_select_related = ("consumer",)
    ordering = ("consumer__full_name",)
    actions = ["record_opt_out", "record_parent_opt_in"]

    def get_queryset(self, request):
        sellable = consumers_whose_data_may_be_sold().filter(pk=OuterRef("consumer_id"))
        return super().get_queryset(request).annotate(sellable=Exists(sellable))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Needed for the actions; the fields themselves stay read-only.
        return request.user.has_perm("consent.change_salestatus")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="email", ordering="consumer__email")
    def consumer_email(self, obj):
        return obj.consumer.email

    @admin.display(boolean=True, description="may be sold", ordering="sellable")
    def may_be_sold(self, obj):
        return obj.sellable

    @admin.action(
        description="Record an opt-out of sale (received by phone, mail or email)",
        permissions=["change"],
    )
    def record_opt_out(self, request, queryset):
        done = sum(
            sale_opt_out(
                consumer=status.consumer, source=ConsentSource.STAFF, actor=request.user
            ).newly_opted_out
            for status in queryset.select_related("consumer")
        )
        self.message_user(request, f"{done} consumer(s) opted out; the others already were.")

    @admin.action(
        description="Record an opt-in given by a verified parent or guardian",
        permissions=["change"],
    )
    def record_parent_opt_in(self, request, queryset):
        done = 0
        for status in queryset.select_related("consumer"):
            try:
                done += sale_opt_in(
                    consumer=status.consumer,
                    authorized_by=SaleStatus.Authorizer.PARENT,
                    source=ConsentSource.STAFF,
                    actor=request.user,
                )
            except OptInRefused as exc:
                self.message_user(request, f"{status.consumer}: {exc}", level=messages.ERROR)
        self.message_user(request, f"{done} parental opt-in(s) recorded.")


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "consumer", "source", "actor", "detail")
    list_filter = ("kind", "source")
    search_fields = ("consumer__full_name", "consumer__email", "detail")
    list_select_related = ("consumer", "actor")
    date_hierarchy = "created_at"


@admin.register(PendingOptOut)
class PendingOptOutAdmin(ReadOnlyAdmin):
    # The hash itself is of no use to anyone reading the page: not shown.
    list_display = ("received_at", "identifier_kind", "source", "applied_at", "applied_to")
    list_filter = ("identifier_kind", "source", ("applied_at", admin.EmptyFieldListFilter))
    fields = ("identifier_kind", "source", "received_at", "applied_at", "applied_to")
    list_select_related = ("applied_to",)


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"
    deadline_field = "due_at"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("open", "Open, not yet due")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(state="pending", **{f"{self.deadline_field}__lt": now})
        if self.value() == "open":
            return queryset.filter(state="pending", **{f"{self.deadline_field}__gte": now})
        return queryset


class PreferenceOverdueFilter(OverdueFilter):
    deadline_field = "effective_by"


@admin.register(PartnerNotice)
class PartnerNoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "consumer",
        "partner",
        "episode",
        "received_at",
        "due_at",
        "state",
        "done_at",
        "done_by",
        "escalated_at",
    )
    list_filter = ("state", OverdueFilter, ("partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("consumer", "partner", "done_by")
    search_fields = ("consumer__full_name", "consumer__email")
    ordering = ("state", "due_at")
    actions = ["mark_told"]
    change_list_template = "admin/consent/partnernotice/change_list.html"

    def has_change_permission(self, request, obj=None):
        # Needed for the action; the fields themselves stay read-only.
        return request.user.has_perm("consent.change_partnernotice")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.action(
        description="Mark as told to the partner (suppression list sent)", permissions=["change"]
    )
    def mark_told(self, request, queryset):
        told = partner_notices_mark_told(
            notice_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(request, f"{told} notice(s) marked as told.")

    def get_urls(self):
        return [
            path(
                "suppression-list.csv",
                self.admin_site.admin_view(self.sale_suppression_csv),
                name="consent_sale_suppression_list",
            ),
            path(
                "postal-suppression-list.csv",
                self.admin_site.admin_view(self.postal_suppression_csv),
                name="consent_postal_suppression_list",
            ),
            *super().get_urls(),
        ]

    def sale_suppression_csv(self, request):
        """The do-not-sell suppression list for the partners: the SHA-256 of the normalized
        email address of every consumer whose personal information may not be sold, and
        nothing else (README, "Opt-out of sale")."""
        _require_verified_staff(request)
        if not self.has_view_permission(request):
            raise PermissionDenied
        logger.info("User %s downloaded the sale suppression list", request.user.pk)
        emails = sale_suppression_list().values_list("email", flat=True).iterator()
        rows = sorted({email_sha256(email) for email in emails if email})
        today = timezone.localdate().isoformat()
        return _csv_response(
            f"do-not-sell-suppression-{today}.csv", ["email_sha256"], ([row] for row in rows)
        )

    def postal_suppression_csv(self, request):
        """The postal marketing suppression list the notice describes (section I, "Name" and
        "Shipping address"): the name and address of each consumer who said no to postal
        marketing, so that no catalog reaches them."""
        _require_verified_staff(request)
        if not self.has_view_permission(request):
            raise PermissionDenied
        logger.info("User %s downloaded the postal suppression list", request.user.pk)
        rows = []
        for consumer, address in postal_suppression_list():
            details = address.details if address else {}
            rows.append(
                [
                    consumer.full_name,
                    details.get("line1", ""),
                    details.get("line2", ""),
                    details.get("city", ""),
                    details.get("state", ""),
                    details.get("zip_code", ""),
                ]
            )
        today = timezone.localdate().isoformat()
        return _csv_response(
            f"postal-suppression-{today}.csv",
            ["full_name", "address_line1", "address_line2", "city", "state", "zip_code"],
            rows,
        )


@admin.register(PreferenceChange)
class PreferenceChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "consumer",
        "consumer_email",
        "channel",
        "allowed",
        "data_system",
        "received_at",
        "effective_by",
        "state",
        "applied_at",
        "applied_by",
        "escalated_at",
    )
    list_filter = (
        "state",
        PreferenceOverdueFilter,
        "channel",
        ("data_system", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("consumer", "data_system", "applied_by")
    search_fields = ("consumer__full_name", "consumer__email")
    ordering = ("state", "effective_by")
    actions = ["mark_applied"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("consent.change_preferencechange")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="email")
    def consumer_email(self, obj):
        return obj.consumer.email

    @admin.action(description="Mark as applied in its system", permissions=["change"])
    def mark_applied(self, request, queryset):
        applied = preference_changes_mark_applied(
            change_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(request, f"{applied} change(s) marked as applied.")


@admin.register(MarketingPreference)
class MarketingPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("consumer", "channel", "allowed", "updated_at")
    list_filter = ("channel", "allowed")
    list_select_related = ("consumer",)
    search_fields = ("consumer__full_name", "consumer__email")
