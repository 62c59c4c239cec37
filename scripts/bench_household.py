"""The household's absence announced to an outside MQTT client, on a real HA.

The figure a consumer of `<prefix>/events/pattern/away_from_home` and
`back_home` cares about is how long after the house empties (or someone comes
back) the event reaches them. So that is what is timed, through a real Home
Assistant with HA AI and a real mosquitto (the environment `scripts/develop`
runs): a person's state set through the REST API (`POST /api/states`, as a
phone's companion app or a router tracker reports it), Home Assistant's state
machine, HA AI's household follower, its MQTT bus, mosquitto on loopback, and a
paho subscriber that timestamps each event in its own thread (`scripts/bench.py`'s
pattern).

The away routine must be learned first: before Home Assistant starts, HA AI's
habit log is given four weeks of the person leaving every morning and coming
back every evening (the CSV day files HA AI itself writes, as
`scripts/devenv/demo_history.py` does), then `ha_ai.run_analysis` learns it.

The morning routine is not measured: its first action counts only after the
night's quiet (at least an hour without activity, heard live), inside its
learned window around the wall clock, so one measurement would take more than
an hour of waiting per run.

`scripts/bench --only household` prints p50/p95/max/mean of both latencies in
ms, one JSON line each; tests/test_real_ha_household.py runs a short one.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.ha_ai.engine.habits.log_files import append_rows
from custom_components.ha_ai.engine.habits.model import Origin
from scripts import devenv
from scripts.bench import (
    add_measure_options,
    add_run_dir_options,
    emit,
    kept_when_failed,
    run_dir_for,
    summary,
)
from scripts.devenv.home_assistant import TIME_ZONE
from scripts.devenv.timed_client import TimedClient

PERSON = "person.bench"
HOME = "home"
AWAY = "not_home"
EVENT_PREFIX = "ha-ai/events/pattern/"
AWAY_TOPIC = f"{EVENT_PREFIX}away_from_home"
BACK_TOPIC = f"{EVENT_PREFIX}back_home"
LOG_DIRECTORY = Path(".storage") / "ha_ai_habits"
MAX_DAY_BYTES = 8 * 1024 * 1024
# The seeded history: every day out from about 08:00 to 17:30, local time.
HISTORY_DAYS = 28
LEAVES_AT = 8 * 60
COMES_BACK_AT = 17 * 60 + 30
JITTER_MINUTES = 20
SEED = 20261202
LEARN_TIMEOUT = 180.0
ANALYSIS_RETRY = 5.0


def seeded_history(today: date, zone: ZoneInfo) -> list[tuple[int, int, str, str]]:
    """Return the habit log's rows of `HISTORY_DAYS` days before `today`."""
    rng = random.Random(SEED)  # noqa: S311 - a reproducible house, not a secret
    rows = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for minute, state in ((LEAVES_AT, AWAY), (COMES_BACK_AT, HOME)):
            at = midnight + timedelta(
                minutes=minute + rng.uniform(-JITTER_MINUTES, JITTER_MINUTES)
            )
            rows.append((int(at.timestamp()), int(Origin.MANUAL), PERSON, state))
    return rows


def seed_history(config_dir: Path, zone: ZoneInfo) -> int:
    """Write the person's weeks of leaving and coming back into HA AI's log."""
    today = datetime.now(zone).date()
    result = append_rows(
        config_dir / LOG_DIRECTORY,
        seeded_history(today, zone),
        max_day_bytes=MAX_DAY_BYTES,
    )
    return result.written


async def set_presence(api: devenv.HassApi, state: str) -> None:
    """Report the person's whereabouts, as a tracker does."""
    await api.request("POST", f"/api/states/{PERSON}", {"state": state})


async def household_state_entity(api: devenv.HassApi) -> str:
    """Return the entity id of HA AI's household-state sensor."""
    for state in await api.request("GET", "/api/states"):
        entity_id = str(state["entity_id"])
        if entity_id.startswith("sensor.") and entity_id.endswith("household_state"):
            return entity_id
    msg = "HA AI has no household-state sensor"
    raise devenv.DevEnvError(msg)


async def learn_away(api: devenv.HassApi, timeout: float = LEARN_TIMEOUT) -> None:
    """Run the analysis until the away routine is learned (the state is known).

    The first analysis of a new installation may be running already, and a run
    is refused for a minute after the last: those refusals are retried.
    """
    sensor = await household_state_entity(api)
    deadline = time.monotonic() + timeout
    while True:
        with_routines = await api.request("GET", f"/api/states/{sensor}")
        if with_routines["attributes"].get("away_source") == "presence":
            return
        if time.monotonic() > deadline:
            msg = (
                f"no away routine learned within {timeout:.0f} s "
                f"({sensor}: {with_routines})"
            )
            raise devenv.DevEnvError(msg)
        try:
            await api.call_service("ha_ai", "run_analysis", return_response=True)
        except devenv.DevEnvError as err:
            devenv.log(f"Analysis not run yet: {err}")
            await asyncio.sleep(ANALYSIS_RETRY)


async def one_change(
    api: devenv.HassApi,
    events: TimedClient,
    state: str,
    topic: str,
    timeout: float,
) -> float:
    """Set the person's state; return ms until its event reached the client.

    The other pattern events that arrive meanwhile are passed over.
    """
    events.drain()
    started = time.perf_counter()
    deadline = started + timeout
    await set_presence(api, state)
    try:
        arrival = await events.next(timeout)
        while arrival.topic != topic:
            arrival = await events.next(max(deadline - time.perf_counter(), 0))
    except TimeoutError:
        msg = f"{PERSON} {state}: no {topic} within {timeout} s"
        raise devenv.DevEnvError(msg) from None
    if arrival.payload.get("started_by") != {"entity_id": PERSON, "state": state}:
        msg = f"{topic} started by something else: {arrival.payload}"
        raise devenv.DevEnvError(msg)
    return (arrival.at - started) * 1000


async def measure_absences(
    env: devenv.Environment, cycles: int, timeout: float
) -> list[dict[str, Any]]:
    """Learn the away routine, then time `cycles` departures and returns."""
    await devenv.ensure_entries(env.api, env.mqtt_port)
    await set_presence(env.api, HOME)
    devenv.log("Learning the away routine")
    await learn_away(env.api)
    events = TimedClient(
        asyncio.get_running_loop(),
        env.mqtt_port,
        client_id="ha-ai-bench-household",
        topic=f"{EVENT_PREFIX}#",
    )
    await events.start()
    away: list[float] = []
    back: list[float] = []
    try:
        devenv.log(f"Measuring {cycles} departures and returns")
        for _ in range(cycles):
            away.append(await one_change(env.api, events, AWAY, AWAY_TOPIC, timeout))
            back.append(await one_change(env.api, events, HOME, BACK_TOPIC, timeout))
    finally:
        events.stop()
    return [
        *summary("household_away_event_latency", away),
        *summary("household_back_home_event_latency", back),
        {"name": "household_away_event_samples", "value": len(away), "unit": "cycles"},
    ]


async def bench(args: argparse.Namespace) -> int:
    """Seed the log, start the environment, measure, stop; print the figures."""
    run_dir = run_dir_for("household-", args.run_dir)
    written = seed_history(run_dir / "config", ZoneInfo(TIME_ZONE))
    devenv.log(f"Seeded HA AI's log with {written} changes of {PERSON}")
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir, devenv.free_port(), devenv.free_port(), {}, debug=False
        ) as env:
            figures = await measure_absences(env, args.events, args.timeout)
        for figure in figures:
            emit(figure)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the measurement."""
    parser = argparse.ArgumentParser(
        prog="bench_household.py",
        description="Time away_from_home and back_home to an outside MQTT client.",
    )
    add_measure_options(parser, events="away and back cycles measured", each="event")
    add_run_dir_options(parser)
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
