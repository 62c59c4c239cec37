"""The envelope of published events and the expiry of received ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.envelope import (
    ENVELOPE_FIELDS,
    SCHEMA_VERSION,
    SOURCE,
    build_envelope,
    is_expired,
    parse_expires_at,
)

NOW = datetime(2026, 11, 23, 6, 7, 0, tzinfo=UTC)


def test_envelope_fields_and_types() -> None:
    message = build_envelope({"suggestions_generated": 3}, now=NOW, ttl=30)
    assert set(message) == ENVELOPE_FIELDS | {"suggestions_generated"}
    assert message["suggestions_generated"] == 3
    assert isinstance(message["event_id"], str)
    assert len(message["event_id"]) == 32
    assert message["timestamp"] == "2026-11-23T06:07:00+00:00"
    assert message["ttl"] == 30
    assert message["expires_at"] == "2026-11-23T06:07:30+00:00"
    assert message["source"] == SOURCE == "ha_ai"
    assert message["schema"] == SCHEMA_VERSION == 1


def test_event_ids_are_unique_and_can_be_given() -> None:
    ids = {build_envelope({}, now=NOW, ttl=1)["event_id"] for _ in range(1000)}
    assert len(ids) == 1000
    assert build_envelope({}, now=NOW, ttl=1, event_id="abc")["event_id"] == "abc"


def test_envelope_fields_win_over_event_fields() -> None:
    message = build_envelope({"source": "spoof", "ttl": 9999}, now=NOW, ttl=5)
    assert message["source"] == "ha_ai"
    assert message["ttl"] == 5


def test_envelope_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_envelope({}, now=datetime(2026, 1, 1), ttl=1)  # noqa: DTZ001


def test_expiry() -> None:
    message = build_envelope({}, now=NOW, ttl=30)
    assert parse_expires_at(message) == NOW + timedelta(seconds=30)
    assert not is_expired(message, NOW + timedelta(seconds=29))
    assert is_expired(message, NOW + timedelta(seconds=30))
    assert not is_expired({}, NOW)
    assert parse_expires_at({}) is None


@pytest.mark.parametrize("expires_at", [42, "yesterday", "2026-11-23T06:07:00"])
def test_invalid_expiry_counts_as_expired(expires_at: object) -> None:
    assert is_expired({"expires_at": expires_at}, NOW)
