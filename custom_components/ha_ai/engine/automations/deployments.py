"""Reading back HA AI's record of the automations it wrote.

The record is the only proof that HA AI wrote an automation, so it is read
field by field: an entry of the wrong shape is dropped and named (HA AI then
treats that automation as the user's, the safe side), and a record that is not
in the shape HA AI writes raises `UnreadableStoreError`, so that the Home
Assistant side sets it aside instead of writing over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    mapping_or_unreadable,
    record,
    section,
)
from .ids import is_automation_id
from .ownership import is_fingerprint

_ENTRY = "deployed automation"


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """The entries read back, by automation id, and the ids of those dropped."""

    deployed: dict[str, dict[str, Any]]
    dropped_ids: tuple[str, ...]


def restore_deployments(data: object) -> Restored[DeploymentRecord]:
    """Return the record `{"deployed": {id: entry}}` with every entry checked.

    Raises `UnreadableStoreError` when `data` is not that shape as a whole.
    """
    stored = mapping_or_unreadable(data, "the record of deployed automations")
    entries = section(stored, "deployed", dict, "the record of deployed automations")
    drops = Drops()
    deployed: dict[str, dict[str, Any]] = {}
    dropped: list[str] = []
    for automation_id, entry in entries.items():
        try:
            deployed[_checked_id(automation_id)] = _checked_entry(entry)
        except BadRecordError as err:
            drops.drop(_ENTRY, str(err))
            dropped.append(str(automation_id))
    return Restored(DeploymentRecord(deployed, tuple(dropped)), drops)


def _checked_id(automation_id: object) -> str:
    if not is_automation_id(automation_id):
        raise BadRecordError("its id is not an automation id")
    return automation_id


def _checked_entry(value: object) -> dict[str, Any]:
    entry: Mapping[str, object] = record(value)
    if not isinstance(entry.get("source"), str):
        raise BadRecordError("source is not text")
    for key in ("suggestion_id", "deployed_at"):
        if not isinstance(entry.get(key), str | None):
            raise BadRecordError(f"{key} is not text")
    # Absent in entries written before fingerprints were kept.
    if entry.get("fingerprint") is not None and not is_fingerprint(
        entry["fingerprint"]
    ):
        raise BadRecordError("fingerprint is not a fingerprint")
    return dict(entry)
