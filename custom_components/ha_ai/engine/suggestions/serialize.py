"""Turn the suggestion book into JSON-ready data and back, for the store.

The stored form is `{"version": 1, "suggestions": [...], "dismissed_ids": [...],
"announced_ids": [...]}` with times as ISO 8601 text. Reading checks each
suggestion field by field: a damaged suggestion or id is left out and counted,
and a time without a timezone is taken as UTC. `snoozed_until` is optional: a
store written before snoozing existed reads as never snoozed, and one written
before answers fed the ranking as without answers (`feedback` 1.0). The tally of
the answers (`feedback.FeedbackTally`) is kept beside the book, under `feedback`.
A feature suggestion, or one that removes an automation, never carries an
automation, whatever the store says. A book of another version is not read (the
Home Assistant side sets such a store aside); a later version adds its migration
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    aware_time,
    check_version,
    finite_number,
    flag,
    mapping_or_unreadable,
    optional_number,
    optional_text,
    record,
    required_text,
    required_time,
    section,
)
from .book import SuggestionBook
from .feedback import NEUTRAL, FeedbackTally, bounded_feedback, restore_tally
from .model import Suggestion, SuggestionKind, SuggestionStatus

STORE_VERSION = 1


def _suggestion_to_store(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "suggestion_id": suggestion.suggestion_id,
        "kind": str(suggestion.kind),
        "category": suggestion.category,
        "title": suggestion.title,
        "description": suggestion.description,
        "confidence": suggestion.confidence,
        "value": suggestion.value,
        "entities": list(suggestion.entities),
        "source": dict(suggestion.source),
        "automation": (
            None if suggestion.automation is None else dict(suggestion.automation)
        ),
        "how_to_start": suggestion.how_to_start,
        "status": str(suggestion.status),
        "created_at": suggestion.created_at.isoformat(),
        "updated_at": suggestion.updated_at.isoformat(),
        "last_seen": suggestion.last_seen.isoformat(),
        "error": suggestion.error,
        "automation_id": suggestion.automation_id,
        "enriched": suggestion.enriched,
        "enriched_for": suggestion.enriched_for,
        "snoozed_until": (
            None
            if suggestion.snoozed_until is None
            else suggestion.snoozed_until.isoformat()
        ),
        "feedback": suggestion.feedback,
    }


def book_to_store(book: SuggestionBook) -> dict[str, Any]:
    """Return the book as JSON-ready data (suggestions best first)."""
    return {
        "version": STORE_VERSION,
        "suggestions": [_suggestion_to_store(s) for s in book.query()],
        "dismissed_ids": list(book.dismissed_ids),
        "announced_ids": list(book.announced_ids),
    }


def _share(item: Mapping[str, object], key: str) -> float:
    """Return a number of 0..1; a number outside is brought back within."""
    value = item.get(key)
    if not finite_number(value):
        raise BadRecordError(f"{key} is not a number")
    return min(max(float(value), 0.0), 1.0)  # type: ignore[arg-type]


def _entities(item: Mapping[str, object]) -> tuple[str, ...]:
    value = item.get("entities")
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise BadRecordError("entities is not a list of entity ids")
    return tuple(value)


def _choice[E: StrEnum](item: Mapping[str, object], key: str, kind: type[E]) -> E:
    value = item.get(key)
    if not isinstance(value, str) or value not in set(kind):
        raise BadRecordError(f"{key} is not one of {', '.join(kind)}")
    return kind(value)


def _suggestion_from_store(item: Mapping[str, object], drops: Drops) -> Suggestion:
    """Return a stored suggestion; raise `BadRecordError` when it is not one."""
    what = "suggestion"
    automation = item.get("automation")
    if automation is not None and not isinstance(automation, dict):
        raise BadRecordError("automation is not an object")
    source = item.get("source")
    if not isinstance(source, dict):
        drops.reset_field(what, "source")
        source = {}
    kind = _choice(item, "kind", SuggestionKind)
    if kind in (SuggestionKind.FEATURE, SuggestionKind.REMOVE):
        automation = None  # these deploy nothing, whatever a store says
    return Suggestion(
        suggestion_id=required_text(item, "suggestion_id"),
        kind=kind,
        category=_text(item, "category"),
        title=_text(item, "title"),
        description=_text(item, "description"),
        confidence=_share(item, "confidence"),
        value=_share(item, "value"),
        entities=_entities(item),
        source=source,
        automation=automation,
        how_to_start=optional_text(item, "how_to_start", drops, what) or "",
        status=_choice(item, "status", SuggestionStatus),
        created_at=required_time(item, "created_at"),
        updated_at=required_time(item, "updated_at"),
        last_seen=required_time(item, "last_seen"),
        error=optional_text(item, "error", drops, what),
        automation_id=optional_text(item, "automation_id", drops, what),
        enriched=flag(item, "enriched", False, drops, what),  # noqa: FBT003
        enriched_for=optional_text(item, "enriched_for", drops, what),
        snoozed_until=_optional_time(item, "snoozed_until", drops, what),
        feedback=_feedback(item, drops, what),
    )


def _feedback(item: Mapping[str, object], drops: Drops, what: str) -> float:
    """Return the rank factor of the answers, within its bounds; 1.0 when absent.

    A store written before answers fed the ranking has none: neutral. One that
    is not a number is reset (counted).
    """
    value = optional_number(item, "feedback", drops, what)
    return NEUTRAL if value is None else bounded_feedback(value)


def _optional_time(
    item: Mapping[str, object], key: str, drops: Drops, what: str
) -> datetime | None:
    """Return a time, or None when absent (older stores) or unreadable (counted)."""
    value = item.get(key)
    if value is None:
        return None
    when = aware_time(value)
    if when is None:
        drops.reset_field(what, key)
    return when


def _text(item: Mapping[str, object], key: str) -> str:
    """Return text, possibly empty."""
    value = item.get(key)
    if not isinstance(value, str):
        raise BadRecordError(f"{key} is not text")
    return value


def book_from_store(data: object, drops: Drops | None = None) -> SuggestionBook:
    """Return the book stored by `book_to_store`; damaged parts are left out.

    What is left out is counted in `drops`. Raises `UnreadableStoreError` when the
    book is of another version, or its suggestions are not a list.
    """
    drops = drops if drops is not None else Drops()
    if data is None:
        return SuggestionBook()
    book = mapping_or_unreadable(data, "the suggestion book")
    check_version(book, STORE_VERSION, "the suggestion book")
    suggestions: dict[str, Suggestion] = {}
    for item in section(book, "suggestions", list, "the suggestion book"):
        try:
            suggestion = _suggestion_from_store(record(item), drops)
        except BadRecordError as err:
            drops.drop("suggestion", str(err))
            continue
        if suggestion.suggestion_id in suggestions:
            drops.drop("suggestion", "its suggestion_id is repeated")
            continue
        suggestions[suggestion.suggestion_id] = suggestion
    dismissed_ids = _ids(book, "dismissed_ids", drops, "dismissed id")
    announced_ids = _ids(book, "announced_ids", drops, "announced id")
    return SuggestionBook(
        suggestions.values(), dismissed_ids, announced_ids=announced_ids
    )


@dataclass(frozen=True, slots=True)
class StoredSuggestions:
    """What the suggestion store holds, checked: see `restore_suggestions_store`."""

    book: SuggestionBook
    unannounced: list[str]
    feedback: FeedbackTally = field(default_factory=FeedbackTally)


def restore_suggestions_store(data: object) -> Restored[StoredSuggestions]:
    """Return the stored book, the ids still to announce and the answers' tally.

    Each is checked one by one: a suggestion of the wrong shape is left out and
    counted, an optional field of the wrong type falls back to its default, and
    a tally that cannot be read starts empty (see `feedback.restore_tally`).
    Raises `UnreadableStoreError` when the store is not an object, or its book
    cannot be read (see `book_from_store`).
    """
    stored = mapping_or_unreadable(data, "the suggestion store")
    drops = Drops()
    book = book_from_store(stored.get("book"), drops)
    unannounced = _ids(stored, "unannounced", drops, "id to announce")
    feedback = restore_tally(stored.get("feedback"), drops)
    return Restored(StoredSuggestions(book, unannounced, feedback), drops)


def _ids(stored: Mapping[str, object], key: str, drops: Drops, what: str) -> list[str]:
    """Return the non-empty texts of a list of ids, counting what is left out.

    A list that is not one is read as empty (and counted): losing it costs less
    than setting the whole store aside.
    """
    items = stored.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        drops.reset_field("suggestion store", key)
        return []
    ids = [item for item in items if isinstance(item, str) and item]
    if len(ids) != len(items):
        drops.drop(what, "not an id", len(items) - len(ids))
    return ids
