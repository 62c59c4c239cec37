"""Whether an automation in `automations.yaml` is still the one HA AI wrote.

HA AI may replace or remove only an automation it wrote and still owns. It
records a fingerprint of each entry it writes: the SHA-256 of the entry's
content as data, so that the automation editor writing the whole file again in
its own style (other quotes, key order, indentation) is not taken for a change.
Once the entry's content differs (the user edited it in the editor or by hand),
the automation is the user's: HA AI neither overwrites nor removes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Final

import yaml

from . import yaml_file

_FINGERPRINT: Final = re.compile(r"[0-9a-f]{64}")


class Ownership(StrEnum):
    """What HA AI may do with the entry of an id in `automations.yaml`."""

    ABSENT = "absent"  # no entry with this id
    OURS = "ours"  # HA AI wrote it and it is unchanged
    EDITED = "edited"  # HA AI wrote it, and it was changed since: the user's now
    THEIRS = "theirs"  # an entry HA AI has no record of writing
    DUPLICATE = "duplicate"  # the id is on more than one entry: leave them be


def is_fingerprint(value: object) -> bool:
    """Return whether `value` looks like a fingerprint (64 lower-case hex digits)."""
    return isinstance(value, str) and _FINGERPRINT.fullmatch(value) is not None


def fingerprint(text: str, automation_id: str) -> str | None:
    """Return the fingerprint of the entry with this id, or None if there is none.

    None also when the entry cannot be read as plain YAML (a tag such as
    `!secret`, an alias from another entry): such an entry was not written by
    HA AI, so it never matches.
    """
    entry = yaml_file.find(text, automation_id)
    if entry is None:
        return None
    try:
        content = yaml.safe_load(text[entry.start : entry.end])
    except Exception:  # noqa: BLE001 - PyYAML's constructors raise anything
        return None
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def judge(
    text: str, automation_id: str, *, recorded: bool, recorded_fingerprint: str | None
) -> Ownership:
    """Return whether the id's entry in the file (`text`) is HA AI's to change.

    `recorded` says whether HA AI's record names the id; `recorded_fingerprint`
    is the fingerprint it wrote down (None for records made before fingerprints
    were kept: then the record alone counts, as it did). Raises
    `yaml_file.AutomationFileError` when the file is not a list of automations.
    """
    found = [
        entry
        for entry in yaml_file.entries(text)
        if entry.automation_id == automation_id
    ]
    if not found:
        return Ownership.ABSENT
    if len(found) > 1:
        return Ownership.DUPLICATE
    if not recorded:
        return Ownership.THEIRS
    if recorded_fingerprint is None:
        return Ownership.OURS
    if fingerprint(text, automation_id) == recorded_fingerprint:
        return Ownership.OURS
    return Ownership.EDITED
