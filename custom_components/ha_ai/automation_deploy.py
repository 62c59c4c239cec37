"""Write checked automations into Home Assistant, the way its editor does.

The automation goes into `automations.yaml` under its own `id` (the file and the
id handling of Home Assistant's automation editor), written atomically and as a
text edit, so every other automation, comment and blank line in the file stays
byte for byte. Home Assistant then reloads that one automation, and the deploy
counts as done only when the automation entity with that unique id exists; if it
does not appear, the file is put back as it was.

HA AI remembers which automations it wrote, so that it never overwrites or
removes one of the user's own.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeassistant.config import AUTOMATION_CONFIG_PATH
from homeassistant.const import CONF_ID, SERVICE_RELOAD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.file import write_utf8_file_atomic

from .automation_check import AutomationRefusedError
from .const import DOMAIN, LOGGER
from .engine.automations import yaml_file

AUTOMATION_DOMAIN = "automation"
STORE_KEY = f"{DOMAIN}.deployments"
STORE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Deployed:
    """A deployed automation: its id, entity and how long it took."""

    automation_id: str
    entity_id: str
    duration_ms: float


class AutomationDeployer:
    """Adds and removes HA AI's automations; one change at a time."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare; `async_start` loads the record of what HA AI deployed."""
        self.hass = hass
        self._lock = asyncio.Lock()
        self._store: Store[dict[str, Any]] = Store(hass, STORE_VERSION, STORE_KEY)
        self._deployed: dict[str, dict[str, Any]] = {}

    @property
    def path(self) -> Path:
        """Return the file the automation editor writes."""
        return Path(self.hass.config.path(AUTOMATION_CONFIG_PATH))

    async def async_start(self) -> None:
        """Load which automations HA AI wrote."""
        stored = await self._store.async_load()
        deployed = stored.get("deployed") if isinstance(stored, dict) else None
        if isinstance(deployed, dict):
            self._deployed = {
                str(key): value
                for key, value in deployed.items()
                if isinstance(value, dict)
            }

    def deployed_by_ha_ai(self, automation_id: str) -> bool:
        """Return whether HA AI wrote the automation with this id."""
        return automation_id in self._deployed

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
            existed, after = await self.hass.async_add_executor_job(
                _put, before, config
            )
            if existed and not self.deployed_by_ha_ai(automation_id):
                raise AutomationRefusedError(
                    "exists",
                    f"automations.yaml already has a user automation with id "
                    f"{automation_id!r}; HA AI does not overwrite it",
                )
            await self.hass.async_add_executor_job(self._write, after)
            try:
                entity_id = await self._async_reload_and_confirm(automation_id)
            except AutomationRefusedError:
                await self.hass.async_add_executor_job(self._write, before)
                await self._async_reload(automation_id)
                raise
            self._deployed[automation_id] = {
                "source": source,
                "suggestion_id": suggestion_id,
                "deployed_at": dt_util.utcnow().isoformat(),
            }
            self._save()
        duration_ms = (time.perf_counter() - started) * 1000
        LOGGER.info("Deployed automation %s as %s", automation_id, entity_id)
        return Deployed(automation_id, entity_id, duration_ms)

    async def async_remove(self, automation_id: str) -> None:
        """Remove an automation HA AI wrote; the user's own are refused."""
        async with self._lock:
            if not self.deployed_by_ha_ai(automation_id):
                raise AutomationRefusedError(
                    "not_ours",
                    f"The automation {automation_id!r} was not deployed by HA AI",
                )
            before = await self.hass.async_add_executor_job(self._read)
            after = await self.hass.async_add_executor_job(
                _without, before, automation_id
            )
            if after is not None:
                await self.hass.async_add_executor_job(self._write, after)
            # Like the editor: the entity goes with its registry entry.
            registry = er.async_get(self.hass)
            if entity_id := registry.async_get_entity_id(
                AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
            ):
                registry.async_remove(entity_id)
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
        await self.hass.services.async_call(
            AUTOMATION_DOMAIN, SERVICE_RELOAD, {CONF_ID: automation_id}, blocking=True
        )

    def _read(self) -> str:
        """Return the file's text ('' when it does not exist yet)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def _write(self, text: str) -> None:
        write_utf8_file_atomic(str(self.path), text)

    def _save(self) -> None:
        self._store.async_delay_save(lambda: {"deployed": self._deployed}, 1)

    async def async_stop(self) -> None:
        """Write the record now (a pending delayed save would be lost)."""
        await self._store.async_save({"deployed": self._deployed})

    @staticmethod
    async def async_remove_store(hass: HomeAssistant) -> None:
        """Forget the record (the automations themselves stay: they are the user's)."""
        await Store[dict[str, Any]](hass, STORE_VERSION, STORE_KEY).async_remove()


def _put(text: str, config: dict[str, Any]) -> tuple[bool, str]:
    """Return whether the id was in the file, and the file with the automation."""
    try:
        existed = yaml_file.find(text, str(config[CONF_ID])) is not None
        return existed, yaml_file.put(text, config)
    except yaml_file.AutomationFileError as err:
        raise AutomationRefusedError("file", str(err)) from err


def _without(text: str, automation_id: str) -> str | None:
    """Return the file without the automation, or None when it is not there."""
    try:
        if yaml_file.find(text, automation_id) is None:
            return None
        return yaml_file.remove(text, automation_id)
    except yaml_file.AutomationFileError as err:
        raise AutomationRefusedError("file", str(err)) from err
