"""Whether an entry of automations.yaml is still the one HA AI wrote."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations import yaml_file
from custom_components.ha_ai.engine.automations.ownership import (
    Ownership,
    fingerprint,
    is_fingerprint,
    judge,
)

USER = "- id: mine\n  alias: Mine  # by hand\n  triggers: []\n  actions: []\n"
OURS = {
    "id": "ha_ai_1",
    "alias": "Morning",
    "triggers": [{"trigger": "time", "at": "06:07:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.bed"}}],
}


def written() -> tuple[str, str]:
    text = yaml_file.put(USER, OURS)
    mark = fingerprint(text, "ha_ai_1")
    assert mark is not None
    return text, mark


def test_what_ha_ai_wrote_is_ours_and_a_change_makes_it_the_users() -> None:
    text, mark = written()
    assert is_fingerprint(mark)
    assert judge(text, "ha_ai_1", recorded=True, recorded_fingerprint=mark) is (
        Ownership.OURS
    )
    edited = text.replace("alias: Morning", "alias: Early")
    assert judge(edited, "ha_ai_1", recorded=True, recorded_fingerprint=mark) is (
        Ownership.EDITED
    )


@pytest.mark.parametrize(
    ("automation_id", "recorded", "expected"),
    [
        ("mine", False, Ownership.THEIRS),
        ("mine", True, Ownership.OURS),  # a record from before fingerprints
        ("absent", True, Ownership.ABSENT),
        ("absent", False, Ownership.ABSENT),
    ],
)
def test_records_without_fingerprints(
    automation_id: str, *, recorded: bool, expected: Ownership
) -> None:
    assert (
        judge(USER, automation_id, recorded=recorded, recorded_fingerprint=None)
        is expected
    )


def test_an_id_twice_is_a_duplicate() -> None:
    text = USER + USER
    assert judge(text, "mine", recorded=True, recorded_fingerprint=None) is (
        Ownership.DUPLICATE
    )


def test_an_entry_with_tags_never_matches() -> None:
    text = "- id: x\n  alias: !secret name\n"
    assert fingerprint(text, "x") is None
    assert fingerprint(text, "y") is None
    assert judge(text, "x", recorded=True, recorded_fingerprint="a" * 64) is (
        Ownership.EDITED
    )


def test_a_file_that_is_not_a_list_raises() -> None:
    with pytest.raises(yaml_file.AutomationFileError):
        judge("a: b\n", "x", recorded=True, recorded_fingerprint=None)


@pytest.mark.parametrize("value", ["A" * 64, "a" * 63, 7, None, "g" * 64])
def test_fingerprints_are_64_lower_case_hex_digits(value: Any) -> None:
    assert not is_fingerprint(value)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(max_size=12),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=3),
    ),
    max_leaves=10,
)


@settings(deadline=None)  # a busy machine must not fail it
@given(st.dictionaries(st.text(min_size=1, max_size=8), _VALUES, max_size=5))
def test_the_editor_writing_the_file_again_keeps_the_fingerprint(
    extra: dict[str, Any],
) -> None:
    automation = {**extra, **OURS}
    text = yaml_file.put(USER, automation)
    mark = fingerprint(text, "ha_ai_1")
    # Another writer, another style: flow lists, other indentation, sorted keys.
    again = yaml.safe_dump(
        yaml.safe_load(text), default_flow_style=None, indent=4, sort_keys=True
    )
    assert fingerprint(again, "ha_ai_1") == mark
    assert judge(again, "ha_ai_1", recorded=True, recorded_fingerprint=mark) is (
        Ownership.OURS
    )
    changed = yaml_file.put(again, {**automation, "alias": "Changed by hand"})
    assert judge(changed, "ha_ai_1", recorded=True, recorded_fingerprint=mark) is (
        Ownership.EDITED
    )
