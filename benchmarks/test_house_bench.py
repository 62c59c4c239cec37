"""The whole path of a large Zigbee house, with the longest event-loop stall.

Run by `scripts/bench --only house`, which sets HA_AI_BENCH_OUT to a file that
receives one JSON line per figure. HA AI runs on a mocked MQTT client in Home
Assistant's test harness, with the registries of a lived-in house (a device per
Zigbee device, an entity for most capabilities, some disabled, automations using
some). Zigbee2MQTT first lists a few devices; then a list of 5,000 or 20,000
arrives (a pairing burst), and the figures cover all that follows: the list parsed,
the paired events published, the capabilities linked and judged, the suggestions
refreshed and announced. A probe task timestamps the event loop's wake-ups all
along; the longest gap is the stall a user's dashboard would have felt.

`HA_AI_BENCH_PROFILE=<file>` writes a cProfile of the measured path there.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import os
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from unittest.mock import patch

import orjson
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import storage
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.ha_ai.zigbee.bridge import (
    MAX_DEVICE_LIST_BYTES,
    ParsedDeviceList,
    parse_device_payload,
)

from .device_lists import coordinator, device_list
from .test_zigbee_bench import OUT, record, register

pytestmark = pytest.mark.skipif(not OUT, reason="run through scripts/bench")
PROFILE = os.environ.get("HA_AI_BENCH_PROFILE")
# `HA_AI_BENCH_STALLS=<file>`: while the loop is stalled for more than
# `STALL_SAMPLE_AFTER`, a thread samples the loop thread's stack every few
# milliseconds; the most frequent stacks are written there (where the time goes).
STALL_REPORT = os.environ.get("HA_AI_BENCH_STALLS")
STALL_SAMPLE_AFTER = 0.02
FIRST_LIST = 5  # devices Zigbee2MQTT lists before the burst
DEBOUNCE_PAST = timedelta(seconds=11)  # past every debouncer's cooldown


@pytest.fixture
def expected_lingering_timers() -> bool:
    return True


@pytest.fixture(autouse=True)
def stores_written_off_the_loop(hass: HomeAssistant, tmp_path: Path) -> Iterator[None]:
    """Write stores as Home Assistant does, in an executor job, to real files.

    The harness keeps stores in memory and serialises them on the event loop,
    which a running Home Assistant never does: that would be the harness's stall.
    """
    hass.config.config_dir = str(tmp_path)

    async def write(store: storage.Store[Any], path: str, data: dict[str, Any]) -> None:
        await hass.async_add_executor_job(store._write_data, path, data)

    with patch.object(storage.Store, "_async_write_data", write):
        yield


def resident_mb() -> float:
    """Return the process's resident memory in MB, after a full collection."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Stalls:
    """The longest wake-up delay of a probe task, and the phase it fell in."""

    phase: str = "start"
    longest: float = 0.0
    longest_phase: str = ""
    by_phase: dict[str, float] = field(default_factory=dict)
    last_wake: float = field(default_factory=time.perf_counter)
    stacks: Counter[str] = field(default_factory=Counter)

    def seen(self, stall: float) -> None:
        self.last_wake = time.perf_counter()
        self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0.0), stall)
        if stall > self.longest:
            self.longest, self.longest_phase = stall, self.phase


def sample_stalls(stalls: Stalls, loop_thread: int, stop: threading.Event) -> None:
    """Count the loop thread's stacks while the loop is stalled (see STALL_REPORT)."""
    while not stop.wait(0.003):
        if time.perf_counter() - stalls.last_wake < STALL_SAMPLE_AFTER:
            continue
        frames = sys._current_frames()
        lines = _stack(frames.get(loop_thread))
        if lines[-1].endswith(" select"):
            # The loop waits for the interpreter lock: show who is computing.
            lines += [
                "  (meanwhile) " + " / ".join(_stack(frame)[-4:])
                for ident, frame in frames.items()
                if ident not in {loop_thread, threading.get_ident()}
                and not _stack(frame)[-1].endswith((" wait", " get", " select"))
            ]
        stalls.stacks[f"[{stalls.phase}]\n  " + "\n  ".join(lines)] += 1


def _stack(frame: FrameType | None) -> list[str]:
    return [
        f"{Path(f.filename).name}:{f.lineno} {f.name}"
        for f in traceback.extract_stack(frame)[-12:]
    ]


@asynccontextmanager
async def stall_probe() -> AsyncIterator[Stalls]:
    """Measure the longest time the event loop was kept from running a task."""
    stalls = Stalls()
    interval = 0.001

    async def watch() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(interval)
            stalls.seen(time.perf_counter() - started - interval)

    task = asyncio.create_task(watch())
    stop = threading.Event()
    sampler = threading.Thread(
        target=sample_stalls, args=(stalls, threading.get_ident(), stop)
    )
    if STALL_REPORT:
        sampler.start()
    await asyncio.sleep(0)
    try:
        yield stalls
        await asyncio.sleep(interval * 3)
    finally:
        task.cancel()
        stop.set()
        if STALL_REPORT:
            sampler.join()
            with Path(STALL_REPORT).open("a") as report:
                for stack, samples in stalls.stacks.most_common(60):
                    report.write(f"{samples} samples {stack}\n")


async def settle(hass: HomeAssistant) -> None:
    """Let every debouncer run and every task it started finish."""
    async_fire_time_changed(hass, dt_util.utcnow() + DEBOUNCE_PAST)
    await hass.async_block_till_done(wait_background_tasks=True)


async def send_list(
    hass: HomeAssistant, entry: MockConfigEntry, payload: bytes
) -> None:
    """Send a device list; wait until the bridge takes it in (parsed in slices).

    A list is applied as a whole, a new dict of devices; some cloned definitions
    may be refused, so the count need not be the list's length.
    """
    bridge = entry.runtime_data.zigbee
    previous = bridge.devices
    refused = bridge.counters["device_lists_rejected"]
    async_fire_mqtt_message(hass, "zigbee2mqtt/bridge/devices", payload)
    while bridge.devices is previous:
        if bridge.counters["device_lists_rejected"] != refused:
            pytest.fail("the bridge refused the device list (see its log line)")
        await asyncio.sleep(0.01)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("count", [5_000, 20_000])
async def test_house_path(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, count: int
) -> None:
    # The harness runs the loop in debug mode, which records a traceback for each
    # callback and future: a running Home Assistant does not.
    hass.loop.set_debug(False)
    devices = [coordinator(), *device_list(count)]
    payload = orjson.dumps(devices)
    if len(payload) > MAX_DEVICE_LIST_BYTES:
        # Real definitions are large: such a list is refused by the bridge.
        devices = [coordinator(), *device_list(count, real=False)]
        payload = orjson.dumps(devices)
        sys.stderr.write(
            f"\n{count} devices: fixture definitions, {len(payload)} bytes\n"
        )
    parsed = parse_device_payload(payload)
    assert isinstance(parsed, ParsedDeviceList)
    entity_ids = register(hass, parsed)
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
    entry = MockConfigEntry(
        domain=DOMAIN, title="HA AI", data={}, options=dict(DEFAULT_OPTIONS)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # Zigbee2MQTT lists a few devices first: the burst's devices are new pairings.
    await send_list(hass, entry, orjson.dumps(devices[: FIRST_LIST + 1]))
    await settle(hass)
    await settle(hass)
    mqtt_mock.async_publish.reset_mock()
    before = resident_mb()

    profiler = cProfile.Profile() if PROFILE else None
    with profiler or nullcontext():
        async with stall_probe() as stalls:
            stalls.phase = "parse"
            await send_list(hass, entry, payload)
            stalls.phase = "judge"
            await settle(hass)
            stalls.phase = "suggestions"
            await settle(hass)
            stalls.phase = "end"
    if profiler is not None:
        assert PROFILE
        profiler.dump_stats(f"{PROFILE}.{count}")
    after = resident_mb()

    runtime = entry.runtime_data
    paired = sum(
        1
        for call in mqtt_mock.async_publish.call_args_list
        if call.args[0].endswith("/paired")
    )
    record(f"house_{count}_devices_loop_stall_max", stalls.longest * 1000, "ms")
    for phase, stall in stalls.by_phase.items():
        record(f"house_{count}_devices_loop_stall_{phase}", stall * 1000, "ms")
    record(f"house_{count}_devices_memory_growth", after - before, "MB")
    record(
        f"house_{count}_devices_findings", len(runtime.insights.findings), "findings"
    )
    record(
        f"house_{count}_devices_suggestions_kept",
        len(runtime.suggestions.query()),
        "suggestions",
    )
    record(f"house_{count}_devices_paired_published", paired, "events")
    assert runtime.insights.findings
    assert runtime.suggestions.query()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
