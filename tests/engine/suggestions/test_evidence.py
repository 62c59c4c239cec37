"""The evidence of a suggestion in words, from the facts of its finding."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ha_ai.engine.suggestions.evidence import evidence_text
from custom_components.ha_ai.engine.suggestions.model import SuggestionKind

ROUTINE = {
    "time": "06:59",
    "day_class": "weekdays",
    "support_days": 18,
    "observed_days": 21,
}
PAIR = {
    "trigger_entity_id": "light.kitchen",
    "entity_id": "switch.coffee",
    "count": 18,
    "median_delay_seconds": 44.0,
}
FEATURE = {"device_model": "Aqara DJT11LM", "property_name": "vibration"}
NAMES = {"light.kitchen": "Kitchen light", "switch.coffee": "Coffee machine"}


@pytest.mark.parametrize(
    ("kind", "source", "names", "expected"),
    [
        (
            SuggestionKind.ROUTINE,
            ROUTINE,
            {},
            "on 18 of 21 weekdays around 06:59",
        ),
        (
            SuggestionKind.ROUTINE,
            ROUTINE | {"day_class": "daily"},
            {},
            "on 18 of 21 days around 06:59",
        ),
        (
            SuggestionKind.USED_TOGETHER,
            PAIR,
            NAMES,
            "Kitchen light then Coffee machine within 44 s, 18 times",
        ),
        (
            SuggestionKind.USED_TOGETHER,
            PAIR | {"count": 1, "median_delay_seconds": 150},
            {},
            "light.kitchen then switch.coffee within 2 min, once",
        ),
        (
            SuggestionKind.FEATURE,
            FEATURE,
            {},
            "your Aqara DJT11LM can report vibration; nothing uses it",
        ),
        (
            SuggestionKind.FEATURE,
            {"device_model": "", "property_name": "power_outage_memory"},
            {},
            "your device can report power outage memory; nothing uses it",
        ),
    ],
)
def test_evidence_in_words(
    kind: SuggestionKind, source: dict[str, Any], names: dict[str, str], expected: str
) -> None:
    assert evidence_text(kind, source, names) == expected


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        (SuggestionKind.ROUTINE, {}),
        (SuggestionKind.ROUTINE, ROUTINE | {"support_days": True}),
        (SuggestionKind.ROUTINE, ROUTINE | {"observed_days": -1}),
        (SuggestionKind.ROUTINE, ROUTINE | {"time": 7}),
        (SuggestionKind.ROUTINE, ROUTINE | {"day_class": "holidays"}),
        (SuggestionKind.USED_TOGETHER, {}),
        (SuggestionKind.USED_TOGETHER, PAIR | {"count": "18"}),
        (SuggestionKind.USED_TOGETHER, PAIR | {"median_delay_seconds": "44"}),
        (SuggestionKind.USED_TOGETHER, PAIR | {"median_delay_seconds": True}),
        (SuggestionKind.FEATURE, {}),
        (SuggestionKind.FEATURE, FEATURE | {"property_name": " "}),
    ],
)
def test_damaged_facts_give_no_evidence(
    kind: SuggestionKind, source: dict[str, Any]
) -> None:
    assert evidence_text(kind, source, NAMES) == ""


def test_names_and_facts_are_plain_and_bounded() -> None:
    text = evidence_text(
        SuggestionKind.USED_TOGETHER, PAIR, {"light.kitchen": "Kitchen\nlight" * 50}
    )
    assert "\n" not in text
    assert len(text) < 200
