"""Judges the Zigbee devices against Home Assistant: which capabilities go unused.

The judgement is a `DataUpdateCoordinator`: it reruns, through the coordinator's
debouncer, whenever something it depends on changes (the device list, the entity or
device registry, automations, scripts and scenes being reloaded), and an hour after
the last one for anything else. Each new opportunity is published
once on `ha-ai/events/device/<device_id>/optimization_opportunity`, best first and a
bounded number per judgement; the ids already published are stored, so a restart
does not repeat them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..engine.zigbee.judge import (
    DeviceUsage,
    UnusedCapability,
    find_unused_capabilities,
    judge_steps,
)
from ..engine.zigbee.model import ZigbeeDevice
from ..engine.zigbee.serialize import restore_insights_store
from ..engine.zigbee.settings_usage import SettingsTracker
from ..stored_part import PartStore
from .bridge import ZigbeeBridge, async_run_in_slices
from .links import async_build_usage

STORE_VERSION = 1
INSIGHTS_STORE_KEY = f"{DOMAIN}.zigbee_insights"
REFRESH_COOLDOWN = 10.0
# A new house can hold thousands of opportunities: the best are published first,
# this many a judgement, and the rest in the next ones, rather than in one flood.
MAX_PUBLISHED_PER_JUDGEMENT = 25
REJUDGE_INTERVAL = timedelta(hours=1)
RELOAD_EVENTS = ("automation_reloaded", "script_reloaded", "scene_reloaded")
TOP_FINDINGS = 5
# Up to this many devices the judgement runs in place (a few milliseconds); a
# larger house is judged in executor slices.
JUDGE_IN_PLACE_DEVICES = 200
# Up to this many findings, which of them are new is worked out in place; more (a
# large house has tens of thousands) in an executor job.
NEW_IN_PLACE_FINDINGS = 1000


class ChangedSettings(Mapping[str, frozenset[str]]):
    """The settings the user changed on each device, worked out when asked.

    Linking asks device by device, in slices that give the event loop back (see
    `async_build_usage`): worked out all at once beforehand, a house of tens of
    thousands of devices would hold the loop up for that long in one go.
    """

    def __init__(self, tracker: SettingsTracker, devices: list[ZigbeeDevice]) -> None:
        """Answer for `devices` from what `tracker` has seen."""
        self._tracker = tracker
        self._devices = {device.ieee_address: device for device in devices}

    def __getitem__(self, ieee_address: str) -> frozenset[str]:
        """Return the keys of the settings changed on the device."""
        return self._tracker.changed_settings(self._devices[ieee_address])

    def __iter__(self) -> Iterator[str]:
        """Iterate over the devices' IEEE addresses."""
        return iter(self._devices)

    def __len__(self) -> int:
        """Return how many devices there are."""
        return len(self._devices)


def new_opportunities(
    findings: Sequence[UnusedCapability], published: frozenset[str], limit: int
) -> tuple[list[UnusedCapability], list[str]]:
    """Return the best `limit` findings not published yet, and the ids published.

    Only ids still found are kept as published: an opportunity taken up, then
    dropped again, is new once more. Plain data in and out, for an executor job:
    a large house has tens of thousands of findings.
    """
    current = {finding.opportunity_id for finding in findings}
    kept = published & current
    new = list(islice((f for f in findings if f.opportunity_id not in kept), limit))
    return new, sorted(kept.union(finding.opportunity_id for finding in new))


@dataclass(frozen=True, slots=True)
class ZigbeeFindings:
    """What one judgement found: what the entities, suggestions and diagnostics read.

    `usage` is how Home Assistant used each device then; the next judgement hands
    back the objects of the devices whose usage did not change, and with them the
    findings that did not change (see `async_build_usage`).
    """

    findings: tuple[UnusedCapability, ...] = ()
    usage: Mapping[str, DeviceUsage] = field(default_factory=dict)
    last_judged: str | None = None


class ZigbeeInsights(DataUpdateCoordinator[ZigbeeFindings]):
    """The unused capabilities of the Zigbee devices, kept current.

    A judgement is requested, debounced, by whatever it depends on, and runs by
    itself an hour after the last one. A failed judgement keeps the last findings;
    `last_update_success` tells the entities that they are not current.
    """

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], bridge: ZigbeeBridge
    ) -> None:
        """Prepare; the first judgement runs once Home Assistant has started.

        What the judgement follows is followed until `entry` unloads.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name="ha_ai zigbee insights",
            update_interval=REJUDGE_INTERVAL,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=REFRESH_COOLDOWN, immediate=False
            ),
        )
        self.entry = entry
        self.bridge = bridge
        # The store keeps only what was published: until the first judgement,
        # which setup does not wait for, nothing is found.
        self.data = ZigbeeFindings()
        # The opportunities published so far, as the store keeps them.
        self._published: frozenset[str] = frozenset()
        self._store = PartStore(
            hass,
            entry,
            INSIGHTS_STORE_KEY,
            STORE_VERSION,
            lambda: {"published": sorted(self._published)},
            REFRESH_COOLDOWN,
        )

    async def async_start(self) -> None:
        """Load what was published, and follow everything the judgement uses.

        No judgement is awaited here: the first runs once Home Assistant has started.
        """
        published = await self._store.async_load(restore_insights_store)
        self._published = frozenset(published or ())
        follow = self.entry.async_on_unload
        follow(self.bridge.async_add_listener(self._request_judgement))
        for event_type in (
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            dr.EVENT_DEVICE_REGISTRY_UPDATED,
            *RELOAD_EVENTS,
        ):
            follow(self.hass.bus.async_listen(event_type, self._on_event))
        follow(async_at_started(self.hass, self._on_started))

    @property
    def findings(self) -> tuple[UnusedCapability, ...]:
        """Return the unused capabilities of the last good judgement, best first."""
        return self.data.findings

    @property
    def last_judged(self) -> str | None:
        """Return when the last good judgement ran (ISO 8601), None before one."""
        return self.data.last_judged

    def top(self) -> list[dict[str, Any]]:
        """Return the best few findings, for an entity's attributes."""
        return [
            {
                "opportunity_id": finding.opportunity_id,
                "title": finding.title,
                "device": finding.friendly_name,
                "entity_id": finding.entity_id,
                "how_to_start": finding.how_to_start,
            }
            for finding in self.findings[:TOP_FINDINGS]
        ]

    def as_diagnostics(self) -> dict[str, Any]:
        """Return a summary for the diagnostics download."""
        by_reason: dict[str, int] = {}
        for finding in self.findings:
            by_reason[finding.reason] = by_reason.get(finding.reason, 0) + 1
        return {
            "unused_capabilities": len(self.findings),
            "by_reason": dict(sorted(by_reason.items())),
            "published_opportunities": len(self._published),
            "last_judged": self.last_judged,
            "top": self.top(),
        }

    @callback
    def _on_started(self, hass: HomeAssistant) -> None:
        self._request_judgement()

    @callback
    def _on_event(self, event: Event[Any]) -> None:
        self._request_judgement()

    @callback
    def _request_judgement(self) -> None:
        """Ask for a judgement; a burst of requests gives one, after the cooldown."""
        self.entry.async_create_task(
            self.hass, self.async_request_refresh(), "ha_ai zigbee judgement request"
        )

    async def _async_update_data(self) -> ZigbeeFindings:
        """Link, judge (in an executor job), then publish what is new."""
        try:
            judged, new, published = await self._async_judge()
        except Exception as err:  # any failure: the last findings stay
            LOGGER.debug("The Zigbee judgement failed", exc_info=True)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="zigbee_judgement_failed",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err
        for finding in new:
            self._publish(finding)
        if published != self._published:
            self._published = published
            await self._store.async_save()
        return judged

    async def _async_judge(
        self,
    ) -> tuple[ZigbeeFindings, list[UnusedCapability], frozenset[str]]:
        """Return the new findings, those to publish, and the ids published then."""
        devices = list(self.bridge.devices.values())
        changed = ChangedSettings(self.bridge.settings, devices)
        # The last judgement's objects are handed back for what has not changed.
        usage = await async_build_usage(self.hass, devices, changed, self.data.usage)
        findings = await async_judge(self.hass, devices, usage, self.findings)
        arguments = (findings, self._published, MAX_PUBLISHED_PER_JUDGEMENT)
        if len(findings) <= NEW_IN_PLACE_FINDINGS:
            new, published = new_opportunities(*arguments)
        else:
            new, published = await self.hass.async_add_executor_job(
                new_opportunities, *arguments
            )
        judged = ZigbeeFindings(
            findings=tuple(findings),
            usage=usage,
            last_judged=dt_util.utcnow().isoformat(),
        )
        return judged, new, frozenset(published)

    def _publish(self, finding: UnusedCapability) -> None:
        self.bridge.bus.async_publish_event(
            ["events", "device", finding.ieee_address, "optimization_opportunity"],
            {
                "device_id": finding.ieee_address,
                "friendly_name": finding.friendly_name,
                "model": finding.device_model,
                "area": finding.area,
                "opportunity_id": finding.opportunity_id,
                "capability": finding.capability_key,
                "feature_kind": finding.feature_kind,
                "reason": finding.reason,
                "entity_id": finding.entity_id,
                "title": finding.title,
                "description": finding.description,
                "how_to_start": finding.how_to_start,
                "score": finding.score,
            },
        )


async def async_judge(
    hass: HomeAssistant,
    devices: list[ZigbeeDevice],
    usage: dict[str, DeviceUsage],
    previous: Sequence[UnusedCapability] = (),
) -> list[UnusedCapability]:
    """Judge in place for a small house, in executor slices for a large one.

    Findings equal to one of `previous` are returned as those objects.
    """
    if len(devices) <= JUDGE_IN_PLACE_DEVICES:
        return find_unused_capabilities(devices, usage, previous)
    return await async_run_in_slices(hass, judge_steps(devices, usage, previous))
