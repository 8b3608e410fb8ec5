"""Every staff page needs a signed-in staff member whose second factor is verified in this
session, and usually a permission. `staff_view` checks both; the rules stay in the services."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .roles import can


def is_verified_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.is_active and user.is_verified())


def staff_view(permission: str | None = None):
    """Refuse anyone but verified staff (to the sign-in), and staff without `permission` (403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not is_verified_staff(request.user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('staff:sign_in')}?{query}")
            if permission and not can(request.user, permission):
                raise PermissionDenied(f"Your role does not allow this ({permission}).")
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate
