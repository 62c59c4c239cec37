"""Word a revision of one of HA AI's automations as a suggestion draft.

A revision (`automations.revise`) changes, turns off or removes an automation HA
AI deployed. As a suggestion it is of kind `revise` (change or turn off) or
`remove`, in the category of the entity the automation acts on, and it is
answered like any other: accepted, dismissed or snoozed.

Ids: a dismissed revision must never come back in the same form, while a
different one may. So the id is the kind and a hash of the automation's id, the
reason, the change and the fingerprint of what the automation does afterwards
(`behaviour.behaviour_fingerprint`): the revised automation for a change, the
automation as deployed for turning it off or removing it. The same proposal
tomorrow has the same id (and stays dismissed); a condition instead of a new
time, or a proposal for the automation once revised, has another.

Confidence and value (0..1 each, see `model.rank`):
- unwanted: confidence and value are the share of the recent runs that were
  undone by hand (an automation undone on 7 of 8 runs is surely unwanted, and
  it annoys on most days).
- failing: confidence is the share of the recent runs that failed; value
  `FAILING_VALUE` (a broken automation does nothing, and fills the log).
- stale: confidence `STALE_CONFIDENCE` (it surely no longer runs; that nobody
  misses it is a guess), value `STALE_VALUE` (a tidier list of automations).
"""

from __future__ import annotations

import math
from typing import Any, Final

from ..automations.revise import Change, Reason, Revision
from ..zigbee.judge import clean_text
from .behaviour import behaviour_fingerprint
from .categories import Category, habit_category
from .findings import MAX_TEXT, MAX_TITLE, suggestion_id
from .model import SuggestionDraft, SuggestionKind

FAILING_VALUE: Final = 0.6
STALE_CONFIDENCE: Final = 0.7
STALE_VALUE: Final = 0.3
MAX_ALIAS: Final = 160
# The kinds of suggestions that revise an automation HA AI deployed.
REVISION_KINDS: Final = frozenset({SuggestionKind.REVISE, SuggestionKind.REMOVE})


def revision_id(revision: Revision) -> str:
    """Return the stable id of a revision's suggestion (see the module)."""
    kind = _kind(revision)
    after = (
        revision.automation if revision.change is Change.REPLACE else revision.original
    )
    finding = (
        f"{revision.automation_id}:{revision.reason}:{revision.change}:"
        f"{behaviour_fingerprint(after)}"
    )
    return suggestion_id(kind, finding)


def _kind(revision: Revision) -> SuggestionKind:
    return (
        SuggestionKind.REMOVE
        if revision.change is Change.REMOVE
        else SuggestionKind.REVISE
    )


def _share(value: float) -> float:
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def revision_source(revision: Revision) -> dict[str, Any]:
    """Return the revision's facts as a suggestion's JSON-ready source."""
    alias = revision.original.get("alias")
    return {
        "automation_id": revision.automation_id,
        "alias": clean_text(alias, MAX_ALIAS) if isinstance(alias, str) else None,
        "reason": str(revision.reason),
        "change": str(revision.change),
        "evidence": clean_text(revision.evidence, MAX_TEXT),
        "change_words": clean_text(revision.change_words, MAX_TITLE),
        "runs": revision.runs,
        "affected": revision.affected,
        "share": round(_share(revision.share), 3),
        "missing_entity": revision.missing_entity,
        "error": revision.error,
        "idle_days": revision.idle_days,
    }


def draft_from_revision(revision: Revision) -> SuggestionDraft:
    """Return the draft of a revision; its automation is the revised one (if any).

    The Home Assistant side checks that automation and puts the checked one in.
    """
    words = revision.change_words
    title = f"{revision.subject}: {words[:1].lower()}{words[1:]}"
    share = _share(revision.share)
    if revision.reason is Reason.STALE:
        confidence, value = STALE_CONFIDENCE, STALE_VALUE
    elif revision.reason is Reason.FAILING:
        confidence, value = share, FAILING_VALUE
    else:
        confidence, value = share, share
    return SuggestionDraft(
        suggestion_id=revision_id(revision),
        kind=_kind(revision),
        category=(
            habit_category(revision.targets[0]) if revision.targets else Category.OTHER
        ),
        title=clean_text(title, MAX_TITLE),
        description=clean_text(f"{revision.evidence} {words}.", MAX_TEXT),
        confidence=confidence,
        value=value,
        entities=revision.targets,
        source=revision_source(revision),
        automation=(
            dict(revision.automation)
            if revision.change is Change.REPLACE and revision.automation is not None
            else None
        ),
    )
