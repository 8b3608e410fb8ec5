"""Staff accounts in the admin: the officer's reset of a lost second factor, and its history.

Behind the OTP admin site (a verified second factor) and the model permissions: the privacy
officer holds view_staffaccount and reset_second_factor; the officer and the auditor read the
history. Nobody edits either here: users and groups are the superuser's (auth's own admin).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice

from .models import StaffAccount, StaffAccountEvent
from .services import ResetRefused, second_factor_reset


class ResetForm(forms.Form):
    reason = forms.CharField(
        label="Why (kept in the staff account history)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffAccount)
class StaffAccountAdmin(ReadOnlyAdmin):
    list_display = ("username", "first_name", "last_name", "roles", "second_factor", "last_login")
    fields = ("username", "first_name", "last_name", "is_active", "last_login")
    readonly_fields = fields
    search_fields = ("username", "first_name", "last_name")
    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_staff=True).prefetch_related("groups")

    def has_reset_second_factor_permission(self, request):
        return request.user.has_perm("staff.reset_second_factor")

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(group.name for group in obj.groups.all()) or "-"

    @admin.display(description="second factor")
    def second_factor(self, obj):
        devices = list(devices_for_user(obj, confirmed=True))
        if any(not isinstance(device, StaticDevice) for device in devices):
            return "authenticator"
        return "backup codes only" if devices else "none: sets one up at the next sign-in"

    @admin.action(
        description="Reset the second factor (lost phone and backup codes)",
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request, queryset):
        form = ResetForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for account in queryset:
                try:
                    second_factor_reset(
                        account=account, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ResetRefused as refusal:
                    self.message_user(request, f"{account}: {refusal}", level=messages.ERROR)
                else:
                    self.message_user(request, f"{account}: second factor reset.")
            return None
        return TemplateResponse(
            request,
            "admin/staff/reset_second_factor.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reset the second factor",
                "accounts": queryset,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(StaffAccountEvent)
class StaffAccountEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "account_username", "actor_username", "detail")
    list_filter = ("kind",)
    search_fields = ("account_username", "actor_username")
    fields = ("at", "kind", "account_username", "actor_username", "detail")
    readonly_fields = fields
    date_hierarchy = "at"
