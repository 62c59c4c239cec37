"""Write checked automations into Home Assistant, the way its editor does.

The automation goes into `automations.yaml` under its own `id` (the file and the
id handling of Home Assistant's automation editor), written atomically and as a
text edit, so every other automation, comment and blank line in the file stays
byte for byte. Home Assistant then reloads that one automation, and the deploy
counts as done only when the automation entity with that unique id exists; if it
does not appear, the file is put back as it was.

HA AI remembers which automations it wrote, so that it never overwrites or
removes one of the user's own. An id is free for HA AI only when Home Assistant
knows no automation by it (in any configuration file, package or include, in
the entity registry or among the loaded automations), or when the automation
with that id is one HA AI wrote into `automations.yaml` and still owns: its
entry is unchanged since HA AI wrote it (see `engine.automations.ownership`).
An automation the user edited is the user's; HA AI leaves it alone.

The record of what HA AI wrote is the only proof of ownership, so it is never
lost silently: it is loaded through `store_loading`, so a record that cannot be
read is set aside with a repair issue saying that HA AI now treats every
automation as the user's, and each entry that cannot be read is logged with its
id and dropped (HA AI then treats that automation as the user's, the safe side).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from homeassistant import config as conf_util
from homeassistant.config import AUTOMATION_CONFIG_PATH
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_ID, SERVICE_RELOAD, STATE_UNAVAILABLE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.file import write_utf8_file_atomic

from ..const import DOMAIN, LOGGER
from ..engine.automations import yaml_file
from ..engine.automations.deployments import restore_deployments
from ..engine.automations.ownership import (
    Ownership,
    fingerprint,
    judge,
)
from ..engine.log_text import log_safe
from ..stored_part import PartStore
from .check import AutomationRefusedError

AUTOMATION_DOMAIN = "automation"
STORE_KEY = f"{DOMAIN}.deployments"
STORE_VERSION = 1
SAVE_DELAY = 1
RELOAD_TIMEOUT_SECONDS = 60
RELOAD_FAILED = "reload_failed"
# The repair issues of a record that cannot be read say HA AI owns nothing now.
OWNERSHIP_REPAIR = "deployments"


@dataclass(frozen=True, slots=True)
class Deployed:
    """A deployed automation: its id, entity and how long it took."""

    automation_id: str
    entity_id: str
    duration_ms: float


class AutomationDeployer:
    """Adds and removes HA AI's automations; one change at a time."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Prepare; `async_start` loads the record of what HA AI deployed.

        The record is written when `entry` unloads or Home Assistant stops.
        """
        self.hass = hass
        self._lock = asyncio.Lock()
        self._deployed: dict[str, dict[str, Any]] = {}
        self._listeners: list[CALLBACK_TYPE] = []
        self._store = PartStore(
            hass,
            entry,
            STORE_KEY,
            STORE_VERSION,
            lambda: {"deployed": self._deployed},
            SAVE_DELAY,
            repair=OWNERSHIP_REPAIR,
        )

    @property
    def path(self) -> Path:
        """Return the file the automation editor writes."""
        return Path(self.hass.config.path(AUTOMATION_CONFIG_PATH))

    async def async_start(self) -> None:
        """Load which automations HA AI wrote; never fail, never lose it silently."""
        loaded = await self._store.async_load(restore_deployments)
        if self._store.lost_reason is not None:
            LOGGER.error(
                "HA AI's record of the automations it wrote (%s) cannot be read "
                "(%s). Until it is restored, HA AI treats every automation as "
                "yours: it will not replace or remove any it wrote before",
                STORE_KEY,
                log_safe(self._store.lost_reason),
            )
        if loaded is None:
            return
        self._deployed = loaded.deployed
        if loaded.dropped_ids:
            LOGGER.error(
                "HA AI's record of the automations it wrote (%s) has %s entries it "
                "cannot read, dropped: %s. HA AI will treat those automations as "
                "yours and never change or remove them",
                STORE_KEY,
                len(loaded.dropped_ids),
                ", ".join(log_safe(i, 100) for i in loaded.dropped_ids[:20]),
            )

    def deployed_by_ha_ai(self, automation_id: str) -> bool:
        """Return whether HA AI's record says it wrote the automation with this id."""
        return automation_id in self._deployed

    @property
    def deployed_ids(self) -> list[str]:
        """Return the ids of the automations HA AI wrote and still owns."""
        return list(self._deployed)

    def deployed_at(self, automation_id: str) -> datetime | None:
        """Return when HA AI last wrote the automation (None: not known)."""
        value = self._deployed.get(automation_id, {}).get("deployed_at")
        when = dt_util.parse_datetime(value) if isinstance(value, str) else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when

    def suggestion_of(self, automation_id: str) -> str | None:
        """Return the suggestion an automation HA AI wrote came from, if any."""
        value = self._deployed.get(automation_id, {}).get("suggestion_id")
        return value if isinstance(value, str) else None

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` after each deploy or removal; return what stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _fingerprint_of(self, automation_id: str) -> str | None:
        record = self._deployed.get(automation_id)
        value = record.get("fingerprint") if record is not None else None
        return value if isinstance(value, str) else None

    async def _async_check_id(
        self, text: str, automation_id: str, *, removing: bool = False
    ) -> Ownership:
        """Return how the id stands in the file, refusing ids HA AI may not touch.

        Refuses an id that another configuration file defines, one that is in
        `automations.yaml` but not HA AI's (anymore), and, for a deploy, an id
        Home Assistant knows (registry, loaded automations) that is not in the
        file at all. (A removal of an id absent from the file touches nothing.)
        """
        try:
            ownership = judge(
                text,
                automation_id,
                recorded=self.deployed_by_ha_ai(automation_id),
                recorded_fingerprint=self._fingerprint_of(automation_id),
            )
        except yaml_file.AutomationFileError as err:
            raise AutomationRefusedError("file", str(err)) from err
        elsewhere = await self._async_defined_elsewhere(automation_id)
        if elsewhere is not None:
            raise AutomationRefusedError(
                "exists",
                f"Home Assistant already has an automation with id {automation_id!r} "
                f"in {elsewhere}; HA AI does not take it over",
            )
        if ownership is Ownership.THEIRS:
            raise AutomationRefusedError(
                "exists",
                f"automations.yaml already has a user automation with id "
                f"{automation_id!r}; HA AI does not overwrite it",
            )
        if ownership is Ownership.EDITED:
            raise AutomationRefusedError(
                "exists",
                f"The automation {automation_id!r} was changed since HA AI wrote it, "
                "so it is yours now; HA AI does not overwrite or remove it",
            )
        if ownership is Ownership.DUPLICATE:
            raise AutomationRefusedError(
                "exists",
                f"automations.yaml has more than one automation with id "
                f"{automation_id!r}; HA AI leaves them alone",
            )
        if (
            ownership is Ownership.ABSENT
            and not removing
            and self._known_to_home_assistant(automation_id)
        ):
            raise AutomationRefusedError(
                "exists",
                f"Home Assistant already knows an automation with id "
                f"{automation_id!r}; HA AI does not take it over",
            )
        return ownership

    def _known_to_home_assistant(self, automation_id: str) -> bool:
        """Return whether an automation entity or registry entry has this id."""
        if er.async_get(self.hass).async_get_entity_id(
            AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
        ):
            return True
        return any(
            str(state.attributes.get(CONF_ID)) == automation_id
            for state in self.hass.states.async_all(AUTOMATION_DOMAIN)
            if state.attributes.get(CONF_ID) is not None
        )

    async def _async_defined_elsewhere(self, automation_id: str) -> str | None:
        """Return the file outside automations.yaml defining this id, if any.

        Reads the configuration as a reload does (packages and includes merged),
        where each automation still knows the file it came from.
        """
        try:
            config = await conf_util.async_hass_config_yaml(self.hass)
        except (HomeAssistantError, OSError) as err:
            # Home Assistant's reload would fail the same way, and a failed
            # reload leaves its reload service waiting: never start one then.
            raise AutomationRefusedError(
                "config",
                "Home Assistant's configuration cannot be read, so HA AI cannot tell "
                f"whether the id {automation_id!r} is taken: {err}",
            ) from err
        own_file = os.path.realpath(self.path)
        for key in conf_util.extract_domain_configs(config, AUTOMATION_DOMAIN):
            items = config[key]
            for item in items if isinstance(items, list) else [items]:
                if not isinstance(item, Mapping) or item.get(CONF_ID) is None:
                    continue
                if str(item[CONF_ID]) != automation_id:
                    continue
                source = getattr(item, "__config_file__", None)
                if source is None or os.path.realpath(str(source)) != own_file:
                    return Path(str(source)).name if source else "configuration.yaml"
        return None

    async def async_deploy(
        self,
        config: dict[str, Any],
        *,
        source: str,
        suggestion_id: str | None = None,
    ) -> Deployed:
        """Write a checked automation (with its `id`) and wait for its entity."""
        automation_id = str(config[CONF_ID])
        started = time.perf_counter()
        async with self._lock:
            before = await self.hass.async_add_executor_job(self._read)
            await self._async_check_id(before, automation_id)
            after = await self.hass.async_add_executor_job(_put, before, config)
            registry = er.async_get(self.hass)
            had_entry = registry.async_get_entity_id(
                AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
            )
            await self.hass.async_add_executor_job(self._write, after)
            try:
                entity_id = await self._async_reload_and_confirm(automation_id)
            except AutomationRefusedError as err:
                await self.hass.async_add_executor_job(self._write, before)
                if err.reason != RELOAD_FAILED:
                    await self._async_reload(automation_id)
                # A registry entry the failed attempt made would block the id.
                if not had_entry and (
                    left := registry.async_get_entity_id(
                        AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
                    )
                ):
                    registry.async_remove(left)
                raise
            self._deployed[automation_id] = {
                "source": source,
                "suggestion_id": suggestion_id,
                "deployed_at": dt_util.utcnow().isoformat(),
                "fingerprint": fingerprint(after, automation_id),
            }
            self._save()
        duration_ms = (time.perf_counter() - started) * 1000
        LOGGER.info("Deployed automation %s as %s", automation_id, entity_id)
        return Deployed(automation_id, entity_id, duration_ms)

    async def async_remove(self, automation_id: str) -> None:
        """Remove an automation HA AI wrote and still owns; refuse any other.

        One HA AI wrote that is no longer in automations.yaml (the user deleted
        it) is only forgotten: its id may belong to another automation by now.
        """
        async with self._lock:
            if not self.deployed_by_ha_ai(automation_id):
                raise AutomationRefusedError(
                    "not_ours",
                    f"The automation {automation_id!r} was not deployed by HA AI",
                )
            before = await self.hass.async_add_executor_job(self._read)
            try:
                ownership = await self._async_check_id(
                    before, automation_id, removing=True
                )
            except AutomationRefusedError as err:
                if err.reason == "exists":
                    raise AutomationRefusedError("not_ours", err.message) from err
                raise
            if ownership is Ownership.OURS:
                after = await self.hass.async_add_executor_job(
                    _without, before, automation_id
                )
                await self.hass.async_add_executor_job(self._write, after)
                # Like the editor: the entity goes with its registry entry.
                registry = er.async_get(self.hass)
                if entity_id := registry.async_get_entity_id(
                    AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
                ):
                    registry.async_remove(entity_id)
            else:
                LOGGER.info(
                    "Automation %s was already gone from automations.yaml",
                    automation_id,
                )
            del self._deployed[automation_id]
            self._save()
        LOGGER.info("Removed automation %s", automation_id)

    async def _async_reload_and_confirm(self, automation_id: str) -> str:
        """Reload the automation; return its entity id once it exists."""
        await self._async_reload(automation_id)
        entity_id = er.async_get(self.hass).async_get_entity_id(
            AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
        )
        state = self.hass.states.get(entity_id) if entity_id else None
        if entity_id is None or state is None or state.state == STATE_UNAVAILABLE:
            raise AutomationRefusedError(
                "not_loaded",
                "Home Assistant did not load the automation after the reload; "
                "check that configuration.yaml has "
                "`automation: !include automations.yaml`",
            )
        return entity_id

    async def _async_reload(self, automation_id: str) -> None:
        if not self.hass.services.has_service(AUTOMATION_DOMAIN, SERVICE_RELOAD):
            raise AutomationRefusedError(
                "no_automations",
                "Home Assistant's automation integration is not loaded",
            )
        try:
            async with asyncio.timeout(RELOAD_TIMEOUT_SECONDS):
                await self.hass.services.async_call(
                    AUTOMATION_DOMAIN,
                    SERVICE_RELOAD,
                    {CONF_ID: automation_id},
                    blocking=True,
                )
        except TimeoutError as err:
            # Home Assistant's reload service waits forever after a reload that
            # raised; HA AI's own lock must not wait with it.
            raise AutomationRefusedError(
                RELOAD_FAILED,
                f"Home Assistant's automation reload did not finish within "
                f"{RELOAD_TIMEOUT_SECONDS} s; restart Home Assistant",
            ) from err
        except (HomeAssistantError, OSError) as err:
            raise AutomationRefusedError(
                RELOAD_FAILED, f"Home Assistant could not reload its automations: {err}"
            ) from err

    def _read(self) -> str:
        """Return the file's text ('' when it does not exist yet)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def _write(self, text: str) -> None:
        write_utf8_file_atomic(str(self.path), text)

    def _save(self) -> None:
        self._store.async_save_later()
        for listener in list(self._listeners):
            listener()


def _put(text: str, config: dict[str, Any]) -> str:
    """Return the file with the automation (checked beforehand, so it parses)."""
    return yaml_file.put(text, config)


def _without(text: str, automation_id: str) -> str:
    """Return the file without the automation (found there beforehand)."""
    return yaml_file.remove(text, automation_id)
