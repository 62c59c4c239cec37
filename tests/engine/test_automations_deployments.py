"""Reading back the ownership record: each entry checked, the record as a whole too."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.deployments import (
    restore_deployments,
)
from custom_components.ha_ai.engine.stored import UnreadableStoreError

GOOD = {"source": "remote", "suggestion_id": None, "deployed_at": None}


def test_good_entries_are_kept_as_they_were() -> None:
    entry = {**GOOD, "fingerprint": "a" * 64, "deployed_at": "2026-12-01T00:00:00"}
    restored = restore_deployments({"deployed": {"ha_ai_1": entry}})
    assert restored.value.deployed == {"ha_ai_1": entry}
    assert restored.value.dropped_ids == ()
    assert restored.drops.dropped_count == 0


@pytest.mark.parametrize(
    ("automation_id", "entry", "reason"),
    [
        ("bad id", GOOD, "its id is not an automation id"),
        ("a", "remote", "is text, not an object"),
        ("a", {**GOOD, "source": ["remote"]}, "source is not text"),
        ("a", {**GOOD, "suggestion_id": 5}, "suggestion_id is not text"),
        ("a", {**GOOD, "deployed_at": {}}, "deployed_at is not text"),
        ("a", {**GOOD, "fingerprint": "not hex"}, "fingerprint is not a fingerprint"),
    ],
)
def test_a_wrong_typed_entry_is_dropped_named_and_counted(
    automation_id: str, entry: Any, reason: str
) -> None:
    restored = restore_deployments({"deployed": {"kept": GOOD, automation_id: entry}})
    assert list(restored.value.deployed) == ["kept"]
    assert restored.value.dropped_ids == (automation_id,)
    assert restored.drops.dropped == {f"deployed automation: {reason}": 1}


@pytest.mark.parametrize(
    "data", [None, [], "x", {"deployed": []}, {"deployed": "ha_ai_1"}]
)
def test_a_record_of_another_shape_is_unreadable(data: Any) -> None:
    with pytest.raises(UnreadableStoreError):
        restore_deployments(data)


def test_a_record_without_entries_is_empty() -> None:
    assert restore_deployments({}).value.deployed == {}


_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(deadline=None)  # a busy machine must not fail it
@given(
    st.one_of(
        _ANY,
        st.fixed_dictionaries(
            {"deployed": st.dictionaries(st.text(), _ANY, max_size=4)}
        ),
    )
)
def test_hostile_records_are_read_or_refused_never_crash(data: Any) -> None:
    try:
        restored = restore_deployments(data)
    except UnreadableStoreError:
        return
    kept = restored.value.deployed
    entries = data.get("deployed") or {}
    assert len(kept) + restored.drops.dropped_count == len(entries)
    assert set(kept).isdisjoint(restored.value.dropped_ids)
    for entry in kept.values():
        assert isinstance(entry["source"], str)
