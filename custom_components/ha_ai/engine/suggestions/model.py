"""Plain data of the suggestions: drafts from findings, and the kept records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class SuggestionStatus(StrEnum):
    """Where a suggestion is in its life (see `lifecycle` for the transitions)."""

    NEW = "new"  # proposed, the user has not answered yet
    ACCEPTED = "accepted"  # the user said yes; its automation is being deployed
    DISMISSED = "dismissed"  # the user said no: it never comes back
    DEPLOYED = "deployed"  # its automation runs in Home Assistant
    FAILED = "failed"  # the deployment failed; `error` says why
    SNOOZED = "snoozed"  # put off by the user: new again at `snoozed_until`


# Statuses of suggestions still waiting for the user or for a deployment: their
# findings refresh them, and they expire when their finding is gone.
OPEN_STATUSES = frozenset(
    {
        SuggestionStatus.NEW,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.FAILED,
        SuggestionStatus.SNOOZED,
    }
)


class SuggestionKind(StrEnum):
    """What a suggestion came from."""

    ROUTINE = "routine"  # a time-of-day habit
    USED_TOGETHER = "used_together"  # one thing switched after another
    FEATURE = "feature"  # a Zigbee capability nothing uses
    HOUSEHOLD = "household"  # what usually follows the morning or bedtime
    REVISE = "revise"  # change or turn off one of HA AI's automations
    REMOVE = "remove"  # remove one of HA AI's automations


def rank(confidence: float, value: float, feedback: float = 1.0) -> float:
    """Return the order of suggestions: confidence, weighted by gain and answers.

    rank = confidence x (0.5 + 0.5 x value) x feedback: a sure suggestion of
    little value keeps half its weight, so how sure HA AI is counts more than how
    much the user gains, and a guess never outranks a certainty by value alone.
    `feedback` (0.5..1.5, 1.0 without answers) is what the user's answers to
    suggestions like it say (`feedback.FeedbackTally.factor`): lower for a kind
    they keep dismissing or overriding, higher for one they accept and keep.
    """
    return confidence * (0.5 + 0.5 * value) * feedback


@dataclass(frozen=True, slots=True)
class EntityFacts:
    """What the Home Assistant side knows of an entity, for wording a suggestion."""

    name: str
    area: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SuggestionDraft:
    """What a finding proposes, before the book gives it a status.

    `confidence` (0..1) is how sure HA AI is that the suggestion fits the house;
    `value` (0..1) how much the user gains from it. `source` is the JSON-ready
    finding it came from (a pattern summary, or an unused capability's fields), for
    an LLM or a user who asks why. `automation` is the JSON-ready automation to
    deploy, or None: the Home Assistant side renders it for habit suggestions.
    `feedback` is the rank factor of the user's answers (see `rank`); the Home
    Assistant side sets it on each draft before the book takes it in.
    """

    suggestion_id: str
    kind: SuggestionKind
    category: str
    title: str
    description: str
    confidence: float
    value: float
    entities: tuple[str, ...]
    source: Mapping[str, Any]
    automation: Mapping[str, Any] | None = None
    how_to_start: str = ""
    feedback: float = 1.0

    @property
    def rank(self) -> float:
        """Return the suggestion's place in every list: see `rank`."""
        return rank(self.confidence, self.value, self.feedback)


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion(SuggestionDraft):
    """A suggestion the book keeps: the draft's facts and where it is in its life.

    `updated_at` is the last status change, `last_seen` the last analysis run that
    found it again. `error` says why a deployment failed; `automation_id` is the id
    of the automation once deployed; `enriched` tells that an LLM rewrote the
    description (and maybe narrowed the automation, whose title HA AI then writes
    from it). `enriched_for` is the fingerprint of the automation HA AI rendered
    when the LLM wrote (`behaviour.behaviour_fingerprint`): findings leave the
    LLM's words alone while they bring back that same automation, and take them
    away with it when they bring another one. `snoozed_until` is when a snoozed
    suggestion becomes new again (None for any other status).
    """

    status: SuggestionStatus
    created_at: datetime
    updated_at: datetime
    last_seen: datetime
    error: str | None = None
    automation_id: str | None = None
    enriched: bool = False
    enriched_for: str | None = None
    snoozed_until: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Return whether it still waits for the user or for a deployment."""
        return self.status in OPEN_STATUSES


def order_key(item: SuggestionDraft) -> tuple[float, str]:
    """Return the sort key of best first: rank descending, then id for ties."""
    return (-item.rank, item.suggestion_id)
