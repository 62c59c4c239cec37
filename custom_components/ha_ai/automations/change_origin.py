"""Tells a person's state change from an automation's, live, as the logbook does.

Follows `automation_triggered`, `script_started` and `call_service` on the bus and
feeds them, with each state change, to the engine's `OriginTracker` (see there for
the rule). The habit log and the live pattern events ask the same instance, so a
change is judged once and both agree.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from ..engine.habits.model import LOGGED_DOMAINS, Origin
from ..engine.habits.origin import (
    ChangeContext,
    OriginTracker,
    entity_ids_of,
    targets_of_call,
)

# The events' names, as the automation and script integrations fire them; not
# imported from there, so following them does not load those integrations.
EVENT_AUTOMATION_TRIGGERED = "automation_triggered"
EVENT_SCRIPT_STARTED = "script_started"
# Decisions kept for the other listeners of the same state change.
DECISIONS_KEPT = 64


def change_context(context: Context) -> ChangeContext:
    """Return the parts of a context that tell who acted."""
    return ChangeContext(context.id, context.parent_id, context.user_id)


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


class TargetLookup(Protocol):
    """Where a service call's device and area targets lead."""

    def area_devices(self, area_id: str) -> list[str]:
        """Return the devices of an area."""

    def area_entities(self, area_id: str) -> list[str]:
        """Return the entities placed in an area themselves."""

    def device_entities(self, device_id: str) -> list[str]:
        """Return the entities of a device."""


class RegistryLookup:
    """The registries themselves: for the live bus, on the event loop."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Read `hass`'s registries at each question."""
        self.hass = hass

    def area_devices(self, area_id: str) -> list[str]:
        """Return the devices of an area."""
        registry = dr.async_get(self.hass)
        return [device.id for device in dr.async_entries_for_area(registry, area_id)]

    def area_entities(self, area_id: str) -> list[str]:
        """Return the entities placed in an area themselves."""
        registry = er.async_get(self.hass)
        return [e.entity_id for e in er.async_entries_for_area(registry, area_id)]

    def device_entities(self, device_id: str) -> list[str]:
        """Return the entities of a device."""
        registry = er.async_get(self.hass)
        return [e.entity_id for e in er.async_entries_for_device(registry, device_id)]


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """A copy of what `RegistryLookup` answers, taken on the event loop.

    The recorder's replay runs in a worker thread, where the registries, which the
    event loop may be changing, are not read.
    """

    devices_by_area: dict[str, list[str]]
    entities_by_area: dict[str, list[str]]
    entities_by_device: dict[str, list[str]]

    @classmethod
    def of(cls, hass: HomeAssistant) -> RegistrySnapshot:
        """Return the registries' areas and devices as they are now."""
        # Per area, not over the registry's device container: reading that is
        # deprecated from Home Assistant 2026.9.
        device_registry = dr.async_get(hass)
        devices_by_area: dict[str, list[str]] = {}
        for area in ar.async_get(hass).async_list_areas():
            if devices := dr.async_entries_for_area(device_registry, area.id):
                devices_by_area[area.id] = [device.id for device in devices]
        entities_by_area: dict[str, list[str]] = defaultdict(list)
        entities_by_device: dict[str, list[str]] = defaultdict(list)
        for entry in er.async_get(hass).entities.values():
            if entry.area_id:
                entities_by_area[entry.area_id].append(entry.entity_id)
            if entry.device_id:
                entities_by_device[entry.device_id].append(entry.entity_id)
        return cls(devices_by_area, dict(entities_by_area), dict(entities_by_device))

    def area_devices(self, area_id: str) -> list[str]:
        """Return the devices of an area."""
        return self.devices_by_area.get(area_id, [])

    def area_entities(self, area_id: str) -> list[str]:
        """Return the entities placed in an area themselves."""
        return self.entities_by_area.get(area_id, [])

    def device_entities(self, device_id: str) -> list[str]:
        """Return the entities of a device."""
        return self.entities_by_device.get(device_id, [])


def entities_of_call(lookup: TargetLookup, data: Mapping[str, Any]) -> list[str]:
    """Return the entities a service call targets: by entity, device or area.

    Floors and labels are not followed: a late echo of a call that targets them
    is not credited to it (the call's own context still is).
    """
    entities = entity_ids_of(data)
    devices = _listed(data.get("device_id"))
    areas = _listed(data.get("area_id"))
    for area in areas:
        devices += lookup.area_devices(area)
        entities += lookup.area_entities(area)
    for device in devices:
        entities += lookup.device_entities(device)
    return list(dict.fromkeys(entities))


def note_call(  # noqa: PLR0913 - the live bus and the recorder's replay alike
    lookup: TargetLookup,
    tracker: OriginTracker,
    context: ChangeContext,
    when: float,
    data: Mapping[str, Any],
    current: Callable[[str], str | None],
) -> None:
    """Give the tracker a `call_service` event's commands to logged entities."""
    if not tracker.by_automation(context, when):
        return  # a person's call: nothing to wait for
    domain, service = data.get("domain"), data.get("service")
    service_data = data.get("service_data")
    if not isinstance(domain, str) or not isinstance(service, str):
        return
    if not isinstance(service_data, Mapping):
        service_data = {}
    entities = [
        entity_id
        for entity_id in entities_of_call(lookup, service_data)
        if entity_id.split(".", 1)[0] in LOGGED_DOMAINS
    ]
    targets = targets_of_call(domain, service, service_data, entities, current)
    tracker.command(context, when, targets)


class ChangeOrigins:
    """Who made each live state change, from the runs and commands before it."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare; nothing is followed before `async_start`."""
        self.hass = hass
        self.tracker = OriginTracker()
        self._decisions: OrderedDict[tuple[str, str, float], Origin] = OrderedDict()

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow runs and service calls; return what stops following them."""
        unsubscribers = [
            self.hass.bus.async_listen(
                EVENT_AUTOMATION_TRIGGERED, self._on_automation_triggered
            ),
            self.hass.bus.async_listen(EVENT_SCRIPT_STARTED, self._on_script_started),
            self.hass.bus.async_listen(EVENT_CALL_SERVICE, self._on_call_service),
        ]

        @callback
        def stop() -> None:
            while unsubscribers:
                unsubscribers.pop()()

        return stop

    @callback
    def _on_automation_triggered(self, event: Event[Any]) -> None:
        self.tracker.run_started(
            change_context(event.context), event.time_fired_timestamp
        )

    @callback
    def _on_script_started(self, event: Event[Any]) -> None:
        self.tracker.script_started(
            change_context(event.context), event.time_fired_timestamp
        )

    @callback
    def _on_call_service(self, event: Event[Any]) -> None:
        note_call(
            RegistryLookup(self.hass),
            self.tracker,
            change_context(event.context),
            event.time_fired_timestamp,
            event.data,
            self._current_state,
        )

    def _current_state(self, entity_id: str) -> str | None:
        state = self.hass.states.get(entity_id)
        return None if state is None else state.state

    @callback
    def origin_of(self, event: Event[EventStateChangedData]) -> Origin:
        """Return who made a state change; the same answer for every listener."""
        entity_id = event.data["entity_id"]
        context = event.context
        key = (entity_id, context.id, event.time_fired_timestamp)
        if (known := self._decisions.get(key)) is not None:
            return known
        old_state = event.data["old_state"]
        new_state = event.data["new_state"]
        origin = self.tracker.classify(
            entity_id,
            None if old_state is None else old_state.state,
            "" if new_state is None else new_state.state,
            change_context(context),
            event.time_fired_timestamp,
        )
        self._decisions[key] = origin
        if len(self._decisions) > DECISIONS_KEPT:
            self._decisions.popitem(last=False)
        return origin
