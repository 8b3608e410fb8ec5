"""The staff roles, as groups with permissions (issue: staff workspace).

- Privacy officer: everything.
- Customer care: logs requests for callers and verifies them during the call, sees the requests
  it logged, adds notes; cannot approve, deny, extend, fulfil, or open exports.
- Auditor: reads the history and the metrics, changes nothing.
"""

PRIVACY_OFFICER = "Privacy officer"
CUSTOMER_CARE = "Customer care"
AUDITOR = "Auditor"

ALL_PERMISSIONS = [
    "work_queue",
    "see_all_requests",
    "log_request",
    "verify_manually",
    "approve_request",
    "deny_request",
    "extend_request",
    "fulfil_request",
    "close_request",
    "assign_request",
    "reveal_personal_data",
    "open_exports",
    "add_note",
    "view_history",
    "view_metrics",
]

ROLE_PERMISSIONS = {
    PRIVACY_OFFICER: ALL_PERMISSIONS,
    CUSTOMER_CARE: ["work_queue", "log_request", "verify_manually", "add_note"],
    AUDITOR: ["work_queue", "see_all_requests", "view_history", "view_metrics"],
}


def can(user, permission: str) -> bool:
    """Whether a signed-in staff member holds one of the request permissions above."""
    return bool(user.is_authenticated and user.has_perm(f"requests_app.{permission}"))
