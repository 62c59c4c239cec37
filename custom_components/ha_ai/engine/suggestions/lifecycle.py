"""Which status changes a suggestion may make, and the error when it may not.

| from | to |
|---|---|
| new | accepted (the user said yes), dismissed (the user said no), snoozed (later) |
| snoozed | new (its date came), accepted, dismissed |
| accepted | deployed, failed (the deployment's outcome), dismissed (changed mind) |
| failed | accepted (try again), dismissed |
| deployed | dismissed (the user removed it; it is not proposed again) |
| dismissed | nothing: a dismissed suggestion never comes back |

A change to the same status is refused too, so that a second "dismiss" tells the
user it was already done instead of doing nothing silently. Snoozing again
(`SuggestionBook.snooze`) only moves the date a snoozed suggestion comes back,
within 1 to `MAX_SNOOZE_DAYS` days.
"""

from __future__ import annotations

from enum import StrEnum

from .model import SuggestionStatus

MIN_SNOOZE_DAYS = 1
MAX_SNOOZE_DAYS = 90
# The statuses a suggestion can be snoozed from (again, for a snoozed one).
SNOOZABLE_STATUSES = frozenset({SuggestionStatus.NEW, SuggestionStatus.SNOOZED})

ALLOWED_TRANSITIONS: dict[SuggestionStatus, frozenset[SuggestionStatus]] = {
    SuggestionStatus.NEW: frozenset(
        {
            SuggestionStatus.ACCEPTED,
            SuggestionStatus.DISMISSED,
            SuggestionStatus.SNOOZED,
        }
    ),
    SuggestionStatus.SNOOZED: frozenset(
        {SuggestionStatus.NEW, SuggestionStatus.ACCEPTED, SuggestionStatus.DISMISSED}
    ),
    SuggestionStatus.ACCEPTED: frozenset(
        {
            SuggestionStatus.DEPLOYED,
            SuggestionStatus.FAILED,
            SuggestionStatus.DISMISSED,
        }
    ),
    SuggestionStatus.FAILED: frozenset(
        {SuggestionStatus.ACCEPTED, SuggestionStatus.DISMISSED}
    ),
    SuggestionStatus.DEPLOYED: frozenset({SuggestionStatus.DISMISSED}),
    SuggestionStatus.DISMISSED: frozenset(),
}


class SuggestionErrorReason(StrEnum):
    """Why the book refused a request; the values can serve as translation keys."""

    UNKNOWN_SUGGESTION = "unknown_suggestion"
    INVALID_TRANSITION = "invalid_transition"
    CLOSED_SUGGESTION = "closed_suggestion"
    INVALID_SNOOZE = "invalid_snooze"


class SuggestionError(Exception):
    """A request the book refused: `reason` for code, the message for people."""

    def __init__(self, reason: SuggestionErrorReason, message: str) -> None:
        """Keep the reason code beside the readable message."""
        super().__init__(message)
        self.reason = reason


def can_change(previous: SuggestionStatus, current: SuggestionStatus) -> bool:
    """Return whether a suggestion may go from `previous` to `current`."""
    return current in ALLOWED_TRANSITIONS[previous]
