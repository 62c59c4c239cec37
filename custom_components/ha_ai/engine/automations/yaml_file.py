"""Edit the text of `automations.yaml` the way a careful person would.

Home Assistant's automation editor reads the whole file and dumps it again, which
loses comments and formatting. HA AI only ever adds, replaces or removes its own
entries, so it edits the text instead: every byte outside the entry it touches
stays as it was. An entry is written the way the editor writes one (same keys,
same order, same YAML style), so the editor can open it afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

# The editor writes these keys first, in this order (config/automation.py).
EDITOR_KEY_ORDER = (
    "id",
    "alias",
    "description",
    "triggers",
    "trigger",
    "conditions",
    "condition",
    "actions",
    "action",
)


class AutomationFileError(Exception):
    """The file is not a list of automations HA AI can edit without losing data."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One automation of the file: its id (if any) and where its text lies."""

    automation_id: str | None
    start: int  # index of the first character of its line ("- ")
    end: int  # index just after its last line's newline


def entry_text(automation: Mapping[str, Any]) -> str:
    """Return one automation as a list item, keys in the editor's order."""
    ordered = {key: automation[key] for key in EDITOR_KEY_ORDER if key in automation}
    ordered.update(automation)
    text: str = yaml.dump(
        [ordered],
        Dumper=yaml.SafeDumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
    )
    return text


def entries(text: str) -> list[Entry]:
    """Return the automations of the file, in order; raise when it is not a list."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        msg = f"automations.yaml is not valid YAML: {err}"
        raise AutomationFileError(msg) from err
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        msg = "automations.yaml does not hold a list of automations"
        raise AutomationFileError(msg)
    if root.flow_style:
        if root.value:
            msg = "automations.yaml is written as a one-line list; HA AI leaves it be"
            raise AutomationFileError(msg)
        return []
    return [_entry(text, item) for item in root.value]


def _entry(text: str, item: yaml.Node) -> Entry:
    """Locate one item: from its `-` line to the end of its last value's line."""
    automation_id: str | None = None
    last: yaml.Node = item
    if isinstance(item, yaml.MappingNode) and item.value:
        for key, value in item.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value == "id"
                and isinstance(value, yaml.ScalarNode)
            ):
                automation_id = str(value.value)
        last = item.value[-1][1]
    start = _dash_line_start(text, item.start_mark.index)
    end_mark = last.end_mark
    if end_mark.column == 0:  # a block scalar ends at the start of the next line
        end = end_mark.index
    else:
        newline = text.find("\n", end_mark.index)
        end = len(text) if newline == -1 else newline + 1
    return Entry(automation_id, start, end)


def _dash_line_start(text: str, index: int) -> int:
    """Return where the line holding the item's `-` indicator starts."""
    line_start = text.rfind("\n", 0, index) + 1
    while "-" not in text[line_start:index] and line_start > 0:
        index = line_start - 1
        line_start = text.rfind("\n", 0, index) + 1
    return line_start


def find(text: str, automation_id: str) -> Entry | None:
    """Return the entry with this id, or None."""
    return next(
        (entry for entry in entries(text) if entry.automation_id == automation_id),
        None,
    )


def put(text: str, automation: Mapping[str, Any]) -> str:
    """Return the file with `automation` replacing its namesake, or appended."""
    new = entry_text(automation)
    if (entry := find(text, str(automation["id"]))) is not None:
        return text[: entry.start] + new + text[entry.end :]
    if not entries(text):
        stripped = text.strip()
        if stripped in ("", "[]"):
            return new
        # Only comments (or an empty flow list after them): keep them above.
        if stripped.endswith("[]"):
            cut = text.rfind("[]")
            text = text[:cut] + text[cut + 2 :]
        return _joined(text, new)
    return _joined(text, new)


def _joined(text: str, new: str) -> str:
    if text and not text.endswith("\n"):
        text += "\n"
    return text + new


def remove(text: str, automation_id: str) -> str:
    """Return the file without the automation with this id; raise if it is absent."""
    if (entry := find(text, automation_id)) is None:
        msg = f"automations.yaml has no automation with id {automation_id!r}"
        raise AutomationFileError(msg)
    remaining = text[: entry.start] + text[entry.end :]
    if not entries(remaining):
        # Home Assistant reads an empty file as no automations, but the editor
        # writes `[]`: keep the file a list.
        return remaining.rstrip("\n") + ("\n[]\n" if remaining.strip() else "[]\n")
    return remaining
