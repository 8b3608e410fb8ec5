"""The admin view of requests, until the staff workspace arrives: read-only, plus the one
action the legal clock needs from an officer, extending a deadline."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core import legal_clock
from core.masking import mask_email, mask_name
from core.staff import privacy_officers

from .models import DeadlineNotice, PrivacyRequest, RequestEvent
from .services.deadlines import ExtensionRefused, extension_latest_date, request_extend


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("at", "kind", "actor_label", "staff_actor", "detail", "visible_to_consumer")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Staff member")
    def staff_actor(self, obj):
        """Staff by username; a consumer's login is their email address, so it is not shown
        (the actor label says "consumer")."""
        actor = obj.actor
        return actor.get_username() if actor is not None and actor.is_staff else "-"


class DeadlineNoticeInline(admin.TabularInline):
    model = DeadlineNotice
    fields = ("kind", "sent_at", "superseded")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ExtendForm(forms.Form):
    new_due_date = forms.DateField(
        label="New due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At most 90 days from receipt.",
    )
    reason = forms.CharField(
        label="Reason, as the consumer will read it",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
    )


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "request_type",
        "status",
        "channel",
        "received_at",
        "current_due",
        "assigned_to",
    )
    list_filter = ("status", "request_type", "channel")
    # Exact matches only, as in the staff queue: a part of an address lists nobody.
    search_fields = ("=reference", "=requester_email")
    ordering = ("due_at",)
    list_select_related = ("assigned_to",)
    inlines = [RequestEventInline, DeadlineNoticeInline]
    fields = (
        "reference",
        "request_type",
        "requested_type",
        "requester_kind",
        "channel",
        "status",
        # Masked, as on the staff request page: the full name and address are shown there only
        # after a reveal, which the request's history records (core/masking.py).
        "requester_name_masked",
        "requester_email_masked",
        "reveal_on_staff_page",
        "received_at",
        "acknowledge_by",
        "due_at",
        "extended_due_at",
        "extension_reason",
        "verified_at",
        "verification_method",
        "verification_tier",
        "responded_at",
        "denial_reason",
        "denial_explanation",
        "assigned_to",
        "extend_link",
    )
    readonly_fields = tuple(f for f in fields if f != "assigned_to")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            # Officers only: the list of every user would show each consumer's login, their
            # email address.
            kwargs["queryset"] = privacy_officers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Requester name")
    def requester_name_masked(self, obj):
        return mask_name(obj.requester_name)

    @admin.display(description="Requester email")
    def requester_email_masked(self, obj):
        return mask_email(obj.requester_email)

    @admin.display(description="Personal details")
    def reveal_on_staff_page(self, obj):
        url = reverse("staff:request", args=[obj.reference])
        return format_html('<a href="{}">Reveal on the staff request page (recorded)</a>', url)

    @admin.display(description="Due")
    def current_due(self, obj):
        return legal_clock.local_date(obj.current_due_at)

    @admin.display(description="Extension")
    def extend_link(self, obj):
        if obj.extended_at:
            return "Extended once already."
        url = reverse("admin:requests_app_privacyrequest_extend", args=[obj.pk])
        return format_html('<a class="button" href="{}">Extend the deadline</a>', url)

    def get_urls(self):
        extend = self.admin_site.admin_view(self.extend_view)
        return [
            path("<int:pk>/extend/", extend, name="requests_app_privacyrequest_extend"),
            *super().get_urls(),
        ]

    def extend_view(self, request, pk):
        privacy_request = get_object_or_404(PrivacyRequest, pk=pk)
        if not self.has_change_permission(request, privacy_request):
            # 403 like every admin page the role may not open (a redirect to the change page
            # would only lead to the next refusal).
            raise PermissionDenied("Your role does not allow extending requests.")
        form = ExtendForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                request_extend(
                    privacy_request=privacy_request,
                    actor=request.user,
                    new_due_date=form.cleaned_data["new_due_date"],
                    reason=form.cleaned_data["reason"],
                )
            except ExtensionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Extended; the consumer has been told why.")
                return redirect("admin:requests_app_privacyrequest_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Extend {privacy_request.reference}",
            "form": form,
            "privacy_request": privacy_request,
            "opts": self.model._meta,
            "latest": extension_latest_date(privacy_request),
        }
        return TemplateResponse(request, "admin/requests_app/extend.html", context)
