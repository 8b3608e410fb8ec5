"""Staff sign-in: password, then the second factor (enrolling one at the first sign-in)."""

import django_otp
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from .. import services
from ..forms import EnrollForm, StaffSignInForm, TokenForm

BACKUP_CODES_SESSION_KEY = "staff_new_backup_codes"


def _next_url(request) -> str:
    """Where to go after signing in: a path on this site, else the queue. Only a path: a bare
    word such as "0" passes the host check, but `redirect()` reads it as a view's name and
    failed with a 500 (found by tests/test_fuzz_staff_forms.py)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return "/staff/"


def _with_next(request, name: str) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = StaffSignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(_with_next(request, "staff:verify"))
    return render(request, "staff/sign_in.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second factor: a code from the authenticator, or a single-use backup code."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect(_with_next(request, "staff:sign_in"))
    if user.is_verified():
        return redirect(_next_url(request))
    devices = list(django_otp.devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(_with_next(request, "staff:enroll"))  # first sign-in, or after a reset
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = _matching_device(devices, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            if not [d for d in devices if not isinstance(d, StaticDevice)]:
                # Signed in with a backup code and no authenticator left: set one up now.
                return redirect(_with_next(request, "staff:enroll"))
            return redirect(_next_url(request))
        form.add_error(
            "token",
            "That code is not right. Codes change every 30 seconds; enter the one shown now.",
        )
    return render(request, "staff/verify.html", {"form": form, "next": _next_url(request)})


def _matching_device(devices, token: str):
    for device in devices:
        # verify_token is throttled per device by django-otp after repeated failures.
        if device.verify_token(token):
            return device
    return None


@require_http_methods(["GET", "POST"])
def enroll(request):
    """First sign-in (or the first after an officer's reset): scan the QR code, confirm with a
    first code, receive backup codes. A session verified with the second factor may also
    replace its authenticator here (a new phone); a password alone never replaces one."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return redirect(_with_next(request, "staff:sign_in"))
    verified = user.is_verified()
    if not services.enrolment_allowed(user=user, second_factor_verified=verified):
        return redirect(_with_next(request, "staff:verify"))
    device = services.totp_device_pending(user=user, second_factor_verified=verified)
    form = EnrollForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enroll_confirm(
                user=user,
                device=device,
                token=form.cleaned_data["token"],
                second_factor_verified=verified,
            )
        except services.EnrolmentRefused:
            return redirect(_with_next(request, "staff:verify"))
        if codes is not None:
            django_otp.login(request, device)
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(_with_next(request, "staff:backup_codes"))
        form.add_error(
            "token", "That code does not match. Check the time on your phone and try again."
        )
    return render(
        request,
        "staff/enroll.html",
        {
            "form": form,
            "qr_svg": services.qr_code_svg(device),
            "secret": services.base32_secret(device),
            "replacing": services.has_confirmed_second_factor(user),
            "next": _next_url(request),
        },
    )


def backup_codes(request):
    """Shown once, right after enrolment."""
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect(_next_url(request))
    return render(request, "staff/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("staff:sign_in")
