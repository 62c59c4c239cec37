"""Editing automations.yaml as text: every byte outside HA AI's entry is kept."""

from __future__ import annotations

import pytest
import yaml

from custom_components.ha_ai.engine.automations.yaml_file import (
    AutomationFileError,
    entries,
    entry_text,
    find,
    put,
    remove,
)

USER_FILE = """# My automations, by hand
- id: '1600000000000'
  alias: Morning
  triggers:
  - trigger: time
    at: 07:00:00
  actions: []   # nothing yet

# The next one is important
- id: "evening"
  alias: !secret evening_alias
  description: >
    folded
    text

-   alias: no id, odd indent
    actions:
      - action: light.turn_on
        target: {entity_id: light.hall}
"""

OURS = {
    "mode": "single",
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.bed"}}],
    "alias": "Bedroom light on at 06:07",
    "id": "ha_ai_routine_1",
    "description": "Proposed by HA AI",
    "triggers": [{"trigger": "time", "at": "06:07:00"}],
}


def test_entry_text_uses_the_editor_key_order() -> None:
    text = entry_text(OURS)
    assert text.startswith("- id: ha_ai_routine_1\n  alias: Bedroom light on")
    assert text.index("triggers:") < text.index("actions:") < text.index("mode:")
    assert yaml.safe_load(text) == [OURS]


def test_entries_locate_each_item() -> None:
    found = entries(USER_FILE)
    assert [entry.automation_id for entry in found] == [
        "1600000000000",
        "evening",
        None,
    ]
    assert USER_FILE[found[0].start :].startswith("- id: '1600000000000'")
    assert USER_FILE[found[0].start : found[0].end].endswith("# nothing yet\n")
    assert USER_FILE[found[1].start :].startswith('- id: "evening"')
    assert found[2].end == len(USER_FILE)


def test_appending_keeps_every_existing_byte() -> None:
    updated = put(USER_FILE, OURS)
    assert updated.startswith(USER_FILE)
    assert _load(updated)[-1] == OURS
    assert find(updated, "ha_ai_routine_1") is not None


def test_replacing_touches_only_that_entry() -> None:
    first = put(USER_FILE, OURS)
    second = put(first, {**OURS, "alias": "Changed"})
    assert second.startswith(USER_FILE)
    assert _load(second)[-1]["alias"] == "Changed"
    assert second.count("ha_ai_routine_1") == 1


def test_replacing_an_entry_in_the_middle() -> None:
    text = put(put(USER_FILE, OURS), {**OURS, "id": "other"})
    replaced = put(text, {**OURS, "alias": "Middle"})
    assert replaced.startswith(USER_FILE)
    assert replaced.endswith(entry_text({**OURS, "id": "other"}))
    assert [e.automation_id for e in entries(replaced)][-2:] == [
        "ha_ai_routine_1",
        "other",
    ]


def test_removing_restores_the_file_exactly() -> None:
    assert remove(put(USER_FILE, OURS), "ha_ai_routine_1") == USER_FILE
    with_two = put(put(USER_FILE, OURS), {**OURS, "id": "other"})
    assert remove(remove(with_two, "ha_ai_routine_1"), "other") == USER_FILE


def test_removing_the_last_automation_leaves_a_list() -> None:
    assert remove(put("[]\n", OURS), "ha_ai_routine_1") == "[]\n"
    assert remove(put("# mine\n", OURS), "ha_ai_routine_1") == "# mine\n[]\n"
    with pytest.raises(AutomationFileError, match="no automation with id"):
        remove(USER_FILE, "missing")


@pytest.mark.parametrize("empty", ["", "[]", "[]\n", "\n\n"])
def test_empty_files_get_the_entry(empty: str) -> None:
    assert put(empty, OURS) == entry_text(OURS)


def test_comments_above_an_empty_list_are_kept() -> None:
    text = "# [] is how HA writes none\n[]\n"
    updated = put(text, OURS)
    assert updated.startswith("# [] is how HA writes none\n")
    assert yaml.safe_load(updated) == [OURS]
    assert put("# only a comment", OURS) == "# only a comment\n" + entry_text(OURS)


def test_a_file_without_a_final_newline() -> None:
    text = "- id: a\n  alias: A"
    assert put(text, OURS) == text + "\n" + entry_text(OURS)


def test_dash_on_its_own_line() -> None:
    text = "-\n  id: a\n  alias: A\n"
    assert entries(text)[0].start == 0
    assert remove(put(text, OURS), "ha_ai_routine_1") == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("automation: []\n", "does not hold a list"),
        ("- id: a\n  alias: [unclosed\n", "not valid YAML"),
        ("[{id: a}]\n", "one-line list"),
    ],
)
def test_files_it_will_not_edit(text: str, message: str) -> None:
    with pytest.raises(AutomationFileError, match=message):
        put(text, OURS)


def test_an_item_that_is_not_a_mapping() -> None:
    text = "- just text\n"
    assert [entry.automation_id for entry in entries(text)] == [None]
    assert put(text, OURS) == text + entry_text(OURS)


def _load(text: str) -> object:
    return yaml.load(text, Loader=_TolerantLoader)  # noqa: S506 (a SafeLoader)


class _TolerantLoader(yaml.SafeLoader):
    """Reads `!secret` as plain text, like a test has no secrets.yaml."""


_TolerantLoader.add_constructor(
    "!secret", lambda loader, node: loader.construct_scalar(node)
)
