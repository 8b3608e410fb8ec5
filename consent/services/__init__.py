"""Business rules of the opt-out of sale, its re-authorization, and marketing preferences, one
module per concern:

    opt_out            the opt-out of sale, from a form, an account, staff or a GPC signal
    pending            an opt-out for an identifier nobody has yet, applied when they appear
    minors             who may authorize the sale of a minor's personal information
    opt_in             the explicit authorization that resumes sale
    reauthorization    the one question, 12 months after an opt-out, whether to resume sale
    partners           telling each sale partner of an opt-out, and escalating when late
    preferences        marketing choices per channel, applied within 5 business days
    preference_links   one-time links to the preferences page

Views, admin actions, the GPC middleware, the sweep and the tests all call these functions (as
`consent.services.NAME`: this package re-exports them); none re-implements a rule. Permission
checks belong to the caller: an opt-out needs none at all (it is not a verifiable request, 11 CCR
7026(d)); staff actions are checked by the admin.

Each state change is one transaction that locks the consumer's registry row (so ten
simultaneous opt-outs for one person queue up behind each other and only the first changes
anything), checks the current state, sets the new one with `update_fields`, appends a
ConsentEvent, and queues its email in the same transaction: core.mail sends it after commit.
"""

from ._shared import LinkInvalid
from .minors import OptInRefused
from .opt_in import sale_opt_in
from .opt_out import OptOutResult, sale_opt_out, sale_opt_out_from_signal
from .partners import partner_notices_escalate_overdue, partner_notices_mark_told
from .pending import (
    pending_opt_out_record,
    pending_opt_outs_apply,
    pending_opt_outs_rematch,
    sale_opt_out_by_identifier,
)
from .preference_links import (
    preferences_link_redeem,
    preferences_link_send,
    preferences_link_valid,
    preferences_links_purge,
)
from .preferences import (
    preference_changes_escalate_overdue,
    preference_changes_mark_applied,
    preferences_change,
)
from .reauthorization import (
    reauthorization_answer,
    reauthorization_asks_send,
    reauthorization_status_for,
    reauthorization_token,
)

__all__ = [
    "LinkInvalid",
    "OptInRefused",
    "OptOutResult",
    "partner_notices_escalate_overdue",
    "partner_notices_mark_told",
    "pending_opt_out_record",
    "pending_opt_outs_apply",
    "pending_opt_outs_rematch",
    "preference_changes_escalate_overdue",
    "preference_changes_mark_applied",
    "preferences_change",
    "preferences_link_redeem",
    "preferences_link_send",
    "preferences_link_valid",
    "preferences_links_purge",
    "reauthorization_answer",
    "reauthorization_asks_send",
    "reauthorization_status_for",
    "reauthorization_token",
    "sale_opt_in",
    "sale_opt_out",
    "sale_opt_out_by_identifier",
    "sale_opt_out_from_signal",
]
