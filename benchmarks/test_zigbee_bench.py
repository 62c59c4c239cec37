"""Time parse + link + judge of Zigbee2MQTT device lists, and the longest loop stall.

Run by `scripts/bench`, which sets HA_AI_BENCH_OUT to a file that receives one JSON
line per figure. The device lists are built from real-shaped definitions: the real
payloads in ../shared/data/z2m when they are there, the test fixtures otherwise,
cloned with new addresses and names to the size wanted. Home Assistant's registries
get a device per Zigbee device and an entity for most capabilities (some disabled),
and automations reference some of them, as in a lived-in house.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.zigbee.bridge import (
    ParsedDeviceList,
    async_parse_device_payload,
    parse_device_payload,
)
from custom_components.ha_ai.zigbee.coordinator import async_judge
from custom_components.ha_ai.zigbee.links import (
    async_build_usage,
    object_id_candidates,
)

from .device_lists import coordinator, device_list

OUT = os.environ.get("HA_AI_BENCH_OUT")

pytestmark = pytest.mark.skipif(not OUT, reason="run through scripts/bench")


def register(hass: HomeAssistant, parsed: ParsedDeviceList) -> list[str]:
    """Register devices and entities as discovery would; return some entity ids."""
    mqtt_entry = MockConfigEntry(domain="mqtt")
    mqtt_entry.add_to_hass(hass)
    device_registry = dr.async_get(hass)
    entity_registry = er.async_get(hass)
    entity_ids = []
    for number, device in enumerate(parsed.devices.values()):
        ha_device = device_registry.async_get_or_create(
            config_entry_id=mqtt_entry.entry_id,
            identifiers={("mqtt", f"zigbee2mqtt_{device.ieee_address}")},
        )
        seen = set()
        for index, capability in enumerate(device.capabilities):
            object_id = object_id_candidates(capability)[0]
            if object_id in seen or (number + index) % 5 == 0:
                continue  # some capabilities get no entity
            seen.add(object_id)
            entry = entity_registry.async_get_or_create(
                "sensor",
                "mqtt",
                f"{device.ieee_address}_{object_id}_zigbee2mqtt",
                device_id=ha_device.id,
                disabled_by=er.RegistryEntryDisabler.INTEGRATION
                if index % 7 == 0
                else None,
            )
            entity_ids.append(entry.entity_id)
    return entity_ids


@asynccontextmanager
async def stall_monitor() -> AsyncIterator[list[float]]:
    """Measure the longest time the event loop was kept from running a task."""
    stalls: list[float] = [0.0]
    interval = 0.001

    async def watch() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(interval)
            stalls[0] = max(stalls[0], time.perf_counter() - started - interval)

    task = asyncio.create_task(watch())
    await asyncio.sleep(0)
    try:
        yield stalls
        # Work that never yielded has delayed the watcher's wake-up: let it wake
        # and measure that delay before it is stopped.
        await asyncio.sleep(interval * 3)
    finally:
        task.cancel()


@contextmanager
def full_collections() -> Iterator[list[int]]:
    """Count the full garbage collections, which stop every thread while they run.

    One of them walks all of Home Assistant's memory: it is the one collection
    long enough to stall the loop, and it comes once the objects that survived
    younger collections since the last full one exceed a quarter of the rest.
    """
    count = [0]

    def count_full(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            count[0] += 1

    gc.callbacks.append(count_full)
    try:
        yield count
    finally:
        gc.callbacks.remove(count_full)


def record(name: str, value: float, unit: str) -> None:
    assert OUT
    with Path(OUT).open("a") as out:
        out.write(json.dumps({"name": name, "value": round(value, 2), "unit": unit}))
        out.write("\n")


def sizes() -> Iterator[int]:
    yield from (100, 5000)


async def run_pipeline(hass: HomeAssistant, payload: bytes) -> tuple[Any, ...]:
    """Parse, link and judge the way HA AI does (in place or in executor jobs)."""
    started = time.perf_counter()
    parsed = await async_parse_device_payload(hass, payload)
    parsed_at = time.perf_counter()
    assert isinstance(parsed, ParsedDeviceList)
    devices = list(parsed.devices.values())
    usage = await async_build_usage(hass, devices, {})
    linked_at = time.perf_counter()
    findings = await async_judge(hass, devices, usage)
    judged_at = time.perf_counter()
    return started, parsed_at, linked_at, judged_at, devices, findings


@pytest.mark.parametrize("count", list(sizes()))
async def test_parse_link_judge(hass: HomeAssistant, count: int) -> None:
    payload = orjson.dumps([coordinator(), *device_list(count)])
    parsed_for_registry = parse_device_payload(payload)
    assert isinstance(parsed_for_registry, ParsedDeviceList)
    entity_ids = register(hass, parsed_for_registry)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": [{"trigger": "state", "entity_id": entity_id}],
                    "actions": [],
                }
                for entity_id in entity_ids[:: max(1, len(entity_ids) // 200)]
            ]
        },
    )
    await hass.async_block_till_done()

    # The first run meets cold caches (compiled patterns, the classification of
    # each capability kind); HA AI judges again on every change, so the figures
    # are of a warm run, timed without the stall monitor, whose wake-ups every
    # millisecond would slow the executor threads; then one more run under it.
    # Registering tens of thousands of entities just now left the collector with a
    # backlog that a running Home Assistant settled long ago: settle it first, so
    # the stalls measured are the pipeline's own.
    gc.collect()
    cold = await run_pipeline(hass, payload)
    timings = await run_pipeline(hass, payload)
    with full_collections() as collections:
        async with stall_monitor() as stall:
            await run_pipeline(hass, payload)
    started, parsed_at, linked_at, judged_at, devices, findings = timings

    record(f"zigbee_{count}_devices_parse", (parsed_at - started) * 1000, "ms")
    record(f"zigbee_{count}_devices_link", (linked_at - parsed_at) * 1000, "ms")
    record(f"zigbee_{count}_devices_judge", (judged_at - linked_at) * 1000, "ms")
    record(f"zigbee_{count}_devices_total", (judged_at - started) * 1000, "ms")
    record(f"zigbee_{count}_devices_total_first_run", (cold[3] - cold[0]) * 1000, "ms")
    record(f"zigbee_{count}_devices_loop_stall_max", stall[0] * 1000, "ms")
    record(f"zigbee_{count}_devices_full_collections", collections[0], "collections")
    record(
        f"zigbee_{count}_devices_capabilities",
        sum(len(device.capabilities) for device in devices),
        "capabilities",
    )
    record(f"zigbee_{count}_devices_unused", len(findings), "findings")
    # The list starts with its coordinator, which has no capabilities.
    assert sum(not device.is_coordinator for device in devices) == count
