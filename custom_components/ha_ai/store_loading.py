"""Loading HA AI's stores so that a damaged one never stops the integration.

Every part of HA AI that keeps a `Store` loads it through `async_load_store`:
- a record the part's restore function cannot use is dropped there, and the
  drops are logged here with their counts and reasons (and kept for diagnostics);
- a store that cannot be read at all (Home Assistant cannot load it, it is not
  in a shape the restore function knows, it was written by a newer version, or
  restoring it raised) is copied next to itself as `<key>.corrupt-<time>`, a
  repair issue says what was set aside and where, and the part starts empty (a
  store whose loss means more, such as the ownership record, names its own
  repair, and its part reads `lost_reason` to fall back to its safe side);
- `HaAiStore` writes nothing before its load finished, nor ever over a file that
  could not be copied aside first: a part never writes a store it has not loaded.

Invalid JSON never reaches HA AI: Home Assistant's own `Store.async_load` (2025.4
and 2026.2 alike) renames such a file to `<key>.corrupt.<time>`, raises its own
repair issue and loads nothing; this module notices that issue and reports it.
A file holding only `{}` loads as nothing too, without a word from Home
Assistant: this module sets it aside like any other file it cannot read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .engine.log_text import log_safe, markdown_safe
from .engine.stored import Restored

SET_ASIDE = "_set_aside"
LEFT_IN_PLACE = "_left_in_place"
ISSUE_STORE_SET_ASIDE = f"store{SET_ASIDE}"
ISSUE_STORE_LEFT_IN_PLACE = f"store{LEFT_IN_PLACE}"
CORRUPT_SUFFIX = ".corrupt-"
_REPORTS: HassKey[dict[str, StoreReport]] = HassKey(f"{DOMAIN}_store_reports")
# Copies of one store made within the same second get a number after the time.
_MAX_COPIES_PER_SECOND = 100
_NO_DATA = "Home Assistant read no data from it: it is empty or not valid JSON"


@dataclass(slots=True)
class StoreReport:
    """How one store was loaded, for the log and the diagnostics download."""

    key: str
    outcome: str = "not loaded"  # new, loaded, set aside, left in place, ...
    dropped: dict[str, int] = field(default_factory=dict)
    reset: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    copy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "outcome": self.outcome,
            "dropped_records": sum(self.dropped.values()),
            "dropped": dict(self.dropped),
            "fields_reset": dict(self.reset),
            "reason": self.reason,
            "copy": self.copy,
        }


class HaAiStore(Store[dict[str, Any]]):
    """A `Store` that writes only once `async_load_store` has made that safe.

    Until then (a setup that failed before the load, a load under way) and for
    good when a damaged file could not be copied aside, saves are left out: the
    file on disk is the only copy of what the user had.
    """

    def __init__(
        self, hass: HomeAssistant, version: int, key: str, *, repair: str = "store"
    ) -> None:
        """Prepare a store under `.storage/<key>`; it is not writable yet.

        `repair` names the repair issues (`<repair>_set_aside`,
        `<repair>_left_in_place`) of a store whose loss means more than its part
        starting empty, so that the repair can say what HA AI does instead.
        """
        super().__init__(hass, version, key)
        self.writable = False
        self.repair = repair
        # Why the file could not be used, once `async_load_store` found it so.
        self.lost_reason: str | None = None
        # Whether the file holds what HA AI could not use (records dropped, a
        # file set aside): written again, it is not reported at the next start.
        self.stale_on_disk = False

    async def async_save(self, data: dict[str, Any]) -> None:
        """Save `data` if this store may be written; leave it out otherwise."""
        if self.writable:
            await super().async_save(data)
        else:
            LOGGER.debug("Store %s not written: it was not loaded", self.key)

    @callback
    def async_delay_save(
        self, data_func: Callable[[], dict[str, Any]], delay: float = 0
    ) -> None:
        """Save later if this store may be written; leave it out otherwise."""
        if self.writable:
            super().async_delay_save(data_func, delay)


async def async_load_store[T](
    hass: HomeAssistant,
    store: HaAiStore,
    restore: Callable[[object], Restored[T]],
    *,
    in_executor: bool = False,
) -> T | None:
    """Return what `store` holds, checked by `restore`; None for nothing to use.

    `restore` (an engine function) returns the records it could use and counts
    the others; it raises for a store it cannot read as a whole. A large store's
    `restore` runs `in_executor`. Never raises for anything the file holds.
    """
    report = StoreReport(key=store.key)
    hass.data.setdefault(_REPORTS, {})[store.key] = report
    try:
        data = await store.async_load()
    except Exception as err:  # noqa: BLE001 - whatever the file holds, HA AI runs
        await _async_set_aside(hass, store, report, _load_reason(err))
        return None
    if data is None:
        if await hass.async_add_executor_job(os.path.exists, store.path):
            # Home Assistant loads a file holding just `{}` as nothing at all.
            await _async_set_aside(hass, store, report, _NO_DATA)
            return None
        _note_set_aside_by_home_assistant(hass, store, report)
        store.writable = True
        return None
    try:
        if in_executor:
            restored = await hass.async_add_executor_job(restore, data)
        else:
            restored = restore(data)
    except Exception as err:  # noqa: BLE001 - whatever the file holds, HA AI runs
        await _async_set_aside(hass, store, report, f"{type(err).__name__}: {err}")
        return None
    drops = restored.drops
    report.outcome = "loaded"
    report.dropped = dict(drops.dropped)
    report.reset = dict(drops.reset)
    if drops.dropped_count or drops.reset_count:
        store.stale_on_disk = True
        LOGGER.warning(
            "HA AI store %s: %s damaged records dropped and %s fields reset on load "
            "(%s)",
            store.key,
            drops.dropped_count,
            drops.reset_count,
            log_safe(drops.summary(), 1000),
        )
    store.writable = True
    return restored.value


@callback
def async_store_reports(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    """Return how each store was last loaded, for the diagnostics download."""
    reports = hass.data.get(_REPORTS, {})
    return {key: reports[key].as_dict() for key in sorted(reports)}


def _load_reason(err: Exception) -> str:
    if isinstance(err, NotImplementedError):
        return "it was written by a newer version of HA AI"
    return f"Home Assistant could not load it ({type(err).__name__}: {err})"


async def _async_set_aside(
    hass: HomeAssistant, store: HaAiStore, report: StoreReport, reason: str
) -> None:
    """Copy the damaged file aside, raise the repair issue; write only after that."""
    path = Path(store.path)
    stamp = dt_util.utcnow().strftime("%Y%m%dT%H%M%SZ")
    try:
        copy: Path | None = await hass.async_add_executor_job(copy_aside, path, stamp)
    except OSError as err:
        LOGGER.debug("Could not copy %s aside: %s", path, err)
        copy = None
    store.writable = store.stale_on_disk = copy is not None
    store.lost_reason = reason
    report.reason = reason
    report.copy = str(copy) if copy else None
    report.outcome = "set aside" if copy else "left in place"
    placeholders = {
        "store": _code(store.key),
        "path": _code(str(path)),
        "reason": markdown_safe(reason, 500),
    }
    if copy is not None:
        LOGGER.error(
            "HA AI store %s cannot be read (%s); it was copied to %s and this part "
            "of HA AI starts empty",
            store.key,
            log_safe(reason, 500),
            log_safe(str(copy), 1000),
        )
        placeholders["copy"] = _code(str(copy))
        translation_key = f"{store.repair}{SET_ASIDE}"
    else:
        LOGGER.error(
            "HA AI store %s cannot be read (%s) nor copied aside; it is left as it "
            "is at %s, and this part of HA AI runs empty without writing it",
            store.key,
            log_safe(reason, 500),
            log_safe(str(path), 1000),
        )
        translation_key = f"{store.repair}{LEFT_IN_PLACE}"
    _create_issue(hass, store, translation_key, placeholders)


@callback
def _create_issue(
    hass: HomeAssistant,
    store: HaAiStore,
    translation_key: str,
    placeholders: dict[str, str],
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{translation_key}_{store.key}",
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


def _code(text: str) -> str:
    """Return HA AI's own name or path for a Markdown code span in the repair."""
    return log_safe(text, 1000).replace("`", "'")


def copy_aside(path: Path, stamp: str) -> Path:
    """Copy `path` to `<path>.corrupt-<stamp>` (never over another file); return it.

    Raises OSError when the file cannot be read or the copy cannot be written.
    Does file I/O: call it from an executor job.
    """
    for number in range(_MAX_COPIES_PER_SECOND):
        suffix = f"{CORRUPT_SUFFIX}{stamp}" + (f"-{number}" if number else "")
        target = path.with_name(path.name + suffix)
        try:
            with path.open("rb") as source, target.open("xb") as copy:
                shutil.copyfileobj(source, copy)
        except FileExistsError:
            continue
        except OSError:
            target.unlink(missing_ok=True)
            raise
        return target
    raise FileExistsError(path)


@callback
def _note_set_aside_by_home_assistant(
    hass: HomeAssistant, store: HaAiStore, report: StoreReport
) -> None:
    """Report a file Home Assistant renamed because it was not valid JSON."""
    prefix = f"storage_corruption_{store.key}_"
    issues = ir.async_get(hass).issues
    for (domain, issue_id), issue in issues.items():
        if domain == HOMEASSISTANT_DOMAIN and issue_id.startswith(prefix):
            placeholders = issue.translation_placeholders or {}
            report.outcome = "set aside by Home Assistant"
            report.reason = store.lost_reason = "it was not valid JSON"
            report.copy = placeholders.get("corrupt_path")
            LOGGER.warning(
                "HA AI store %s was not valid JSON: Home Assistant set it aside as "
                "%s (see its repair); this part of HA AI starts empty",
                store.key,
                log_safe(report.copy, 1000),
            )
            if store.repair != "store":
                # HA AI's own repair says what losing this store means.
                _create_issue(
                    hass,
                    store,
                    f"{store.repair}{SET_ASIDE}",
                    {
                        "store": _code(store.key),
                        "path": _code(str(store.path)),
                        "reason": report.reason,
                        "copy": _code(str(report.copy)),
                    },
                )
            return
    report.outcome = "new"
