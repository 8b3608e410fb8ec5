"""What every verification step answers: its outcome, and the pause after too many tries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone


class VerificationLocked(Exception):
    """Too many failed attempts: no more tries until `until`."""

    def __init__(self, until: datetime):
        self.until = until
        local = timezone.localtime(until)
        super().__init__(
            "For your protection, identity checks for this request are paused after five "
            f"unsuccessful attempts. You can try again after {local:%-I:%M %p} on "
            f"{local:%-d %B %Y}."
        )


@dataclass
class VerificationOutcome:
    verified: bool = False
    denied: bool = False
    downgraded: bool = False
    attempts_left: int = 0
    message: str = ""
    matched: dict[str, bool] = field(default_factory=dict)
