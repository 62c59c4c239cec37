"""Turn the suggestion book into JSON-ready data and back, for the store.

The stored form is `{"version": 1, "suggestions": [...], "dismissed_ids": [...],
"announced_ids": [...]}` with times as ISO 8601 text. Reading never raises: a
store that is not a mapping gives an empty book, a damaged suggestion or id is
skipped, and a time without a timezone is taken as UTC. A feature suggestion
never carries an automation, whatever the store says. A later version adds its
migration here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .book import SuggestionBook
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
    }


def book_to_store(book: SuggestionBook) -> dict[str, Any]:
    """Return the book as JSON-ready data (suggestions best first)."""
    return {
        "version": STORE_VERSION,
        "suggestions": [_suggestion_to_store(s) for s in book.query()],
        "dismissed_ids": list(book.dismissed_ids),
        "announced_ids": list(book.announced_ids),
    }


def _text(item: Mapping[str, object], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _optional_text(item: Mapping[str, object], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


def _share(item: Mapping[str, object], key: str) -> float:
    """Return a number of 0..1; a number outside is brought back within."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(key)
    number = float(value)  # OverflowError for an int beyond any float
    if not math.isfinite(number):
        raise ValueError(key)
    return min(max(number, 0.0), 1.0)


def _moment(item: Mapping[str, object], key: str) -> datetime:
    moment = datetime.fromisoformat(_text(item, key))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _mapping(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(key)
    return value


def _entities(item: Mapping[str, object]) -> tuple[str, ...]:
    value = item.get("entities")
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise TypeError("entities")
    return tuple(value)


def _suggestion_from_store(item: Mapping[str, object]) -> Suggestion:
    """Return a stored suggestion; raise TypeError, ValueError or OverflowError."""
    suggestion_id = _text(item, "suggestion_id")
    if not suggestion_id:
        raise ValueError("suggestion_id")
    kind = SuggestionKind(_text(item, "kind"))
    automation = item.get("automation")
    if kind is SuggestionKind.FEATURE:
        automation = None  # a feature deploys nothing, whatever a store says
    return Suggestion(
        suggestion_id=suggestion_id,
        kind=kind,
        category=_text(item, "category"),
        title=_text(item, "title"),
        description=_text(item, "description"),
        confidence=_share(item, "confidence"),
        value=_share(item, "value"),
        entities=_entities(item),
        source=_mapping(item.get("source"), "source"),
        automation=None if automation is None else _mapping(automation, "automation"),
        how_to_start=_optional_text(item, "how_to_start") or "",
        status=SuggestionStatus(_text(item, "status")),
        created_at=_moment(item, "created_at"),
        updated_at=_moment(item, "updated_at"),
        last_seen=_moment(item, "last_seen"),
        error=_optional_text(item, "error"),
        automation_id=_optional_text(item, "automation_id"),
        enriched=item.get("enriched") is True,
        enriched_for=_optional_text(item, "enriched_for"),
    )


def book_from_store(data: object) -> SuggestionBook:
    """Return the book stored by `book_to_store`; damaged parts are skipped."""
    if not isinstance(data, dict):
        return SuggestionBook()
    suggestions: list[Suggestion] = []
    items = data.get("suggestions")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            suggestions.append(_suggestion_from_store(item))
        except (TypeError, ValueError, OverflowError):
            continue
    ids = data.get("dismissed_ids")
    dismissed_ids = [
        suggestion_id
        for suggestion_id in (ids if isinstance(ids, list) else [])
        if isinstance(suggestion_id, str) and suggestion_id
    ]
    return SuggestionBook(
        suggestions, dismissed_ids, announced_ids=_ids(data, "announced_ids")
    )


def _ids(data: Mapping[str, object], key: str) -> list[str]:
    ids = data.get(key)
    return [
        suggestion_id
        for suggestion_id in (ids if isinstance(ids, list) else [])
        if isinstance(suggestion_id, str) and suggestion_id
    ]
