"""Sign-in lock-outs (django-axes) for consumers, staff and the admin: two limits at once.

- AXES_FAILURE_LIMIT failures for one username from one address lock that pair (a guesser at
  one account);
- AXES_ADDRESS_FAILURE_LIMIT failures from one address across every username lock the address
  (password spraying: one common password tried against many accounts).

django-axes counts failures for each entry of AXES_LOCKOUT_PARAMETERS but compares them all
with a single limit; this handler gives the address-wide entry its own, higher limit. It also
keeps a successful sign-in from wiping the address-wide count: axes would otherwise delete every
failure of the address, and a sprayer holding one real account could reset the count at will by
signing in to it between guesses.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

# The order of settings.AXES_LOCKOUT_PARAMETERS, which this handler reads by position.
PER_USERNAME_AND_ADDRESS = ["username", "ip_address"]
PER_ADDRESS = "ip_address"
LOCKOUT_PARAMETERS = [PER_USERNAME_AND_ADDRESS, PER_ADDRESS]


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures of this username from this address, or the lock-out figure once the
        address as a whole has reached its own limit (axes locks at AXES_FAILURE_LIMIT)."""
        per_username, per_address = self.get_user_attempts(request, credentials)
        failures = _failures(per_username)
        if _failures(per_address) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, settings.AXES_FAILURE_LIMIT)
        return failures

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in: forget this username's failures from this address only."""
        per_username, _per_address = self.filter_user_attempts(request, credentials)
        deleted, _ = per_username.delete()
        return deleted
