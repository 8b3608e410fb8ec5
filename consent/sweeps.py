"""The consent app's timed work (core.sweep). Each step claims its rows with a conditional
update before acting, so a second sweep, or two at once, do nothing twice."""

from core.sweep import sweep_step

from .services import (
    partner_notices_escalate_overdue,
    pending_opt_outs_rematch,
    preference_changes_escalate_overdue,
    preferences_links_purge,
    reauthorization_asks_send,
)


@sweep_step("consent-pending-opt-outs")
def rematch_pending_opt_outs(*, now):
    """Opt-outs that raced an import of the same consumer."""
    return pending_opt_outs_rematch(now=now)


@sweep_step("consent-partner-notices")
def escalate_overdue_partner_notices(*, now):
    """Opt-outs not told to a partner within 15 business days (11 CCR 7026(f))."""
    return partner_notices_escalate_overdue(now=now)


@sweep_step("consent-reauthorization")
def ask_for_reauthorization(*, now):
    """Once, no sooner than 12 months after an opt-out (Civ. Code 1798.135(c)(4))."""
    return reauthorization_asks_send(now=now)


@sweep_step("consent-preferences")
def escalate_overdue_preference_changes(*, now):
    """Marketing preferences not applied within 5 business days (the notice, "Email")."""
    return preference_changes_escalate_overdue(now=now)


@sweep_step("consent-preferences-links")
def purge_expired_preferences_links(*, now):
    return preferences_links_purge(now=now)
