"""Who made each change, judged by HA AI on a real Home Assistant.

One Home Assistant (with mosquitto) runs every case at once, a few seconds after
the automations are written: automations triggered by time, by the sun (an
offset from the configured location's next sunset), by MQTT and by a state; HA
AI's own time-of-day routine (rendered by its renderer, written to
automations.yaml); a Zigbee2MQTT-like light answering each command 0.2, 4.5,
5.5 and 12 s later; a light switched off at the wall right after an automation
dimmed it; a script and an input_boolean switched by a person over the API.

Then the recorder's rows are moved into the past (the start-up states before
the back-fill's first day, the cases a day ago), HA AI's log is deleted and HA
AI reloaded, so it back-fills from the real recorder across its day boundaries.
Each case's label is read from HA AI's log, live and back-filled.

`scripts/bench --only origin` prints the share of automation-made changes
labelled manual (goal 0), live and back-filled, and what the parent-only rule
HA AI used before would have said of the same changes (from the contexts
Home Assistant's websocket reports). tests/test_real_ha_origin.py runs the same
and asserts each case.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.ha_ai.const import DEFAULT_HISTORY_DAYS
from custom_components.ha_ai.engine.automations.render import (
    render_automation,
)
from custom_components.ha_ai.engine.habits.log_files import read_table
from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    Origin,
    TimeOfDayPattern,
    classify_origin,
)
from custom_components.ha_ai.engine.stored import Drops
from scripts import devenv

# Seconds from the automations' reload to their trigger time.
LEAD_SECONDS = 12
MIN_LEAD_SECONDS = 3
# The Zigbee2MQTT-like lights and how late each reports a command back.
ECHOES = {"echo_0_2": 0.2, "echo_4_5": 4.5, "echo_5_5": 5.5, "echo_12": 12.0}
LAST_ECHO = "echo_12"
VETO_LIGHT = "veto"
VETO_PRESS_SECONDS = 2.0
REMOTE_TOPIC = "origin/remote/action"
SETTLE_SECONDS = 20.0  # after the trigger: the 12 s echo and a margin
LOG_DIRECTORY = Path(".storage") / "ha_ai_habits"
DAY = 86400.0


@dataclasses.dataclass(frozen=True)
class Case:
    """One change and who made it."""

    name: str
    entity_id: str
    state: str
    expected: Origin
    automation_made: bool


def by_automation(name: str, entity_id: str, state: str = "on") -> Case:
    """Return a case an automation makes: to be labelled automated."""
    return Case(name, entity_id, state, Origin.AUTOMATED, automation_made=True)


def by_person(name: str, entity_id: str, state: str = "on") -> Case:
    """Return a case a person makes: to be labelled manual."""
    return Case(name, entity_id, state, Origin.MANUAL, automation_made=False)


CASES = [
    by_automation("time trigger", "input_boolean.time_case"),
    by_automation("sun trigger", "input_boolean.sun_case"),
    by_automation("mqtt trigger", "input_boolean.mqtt_case"),
    by_automation("state trigger", "input_boolean.state_case"),
    by_person("a person switching the state trigger", "input_boolean.state_source"),
    by_automation("HA AI's deployed routine", "input_boolean.deployed_case"),
    *(
        by_automation(f"echo after {delay} s", f"light.{name}")
        for name, delay in ECHOES.items()
    ),
    by_person(
        "switched off at the wall right after a dimming", f"light.{VETO_LIGHT}", "off"
    ),
    by_person("script started by a person", "input_boolean.person_script_case"),
    by_person("switched by a person", "input_boolean.manual_case"),
]

INPUT_BOOLEANS = sorted(
    {
        case.entity_id.split(".")[1]
        for case in CASES
        if "input_boolean" in case.entity_id
    }
)


def package_yaml() -> str:
    """Return the entities and the script of the cases (a package file)."""
    lights = [
        {
            "name": name,
            "unique_id": f"origin_{name}",
            "schema": "json",
            "brightness": True,
            "supported_color_modes": ["brightness"],
            "command_topic": f"zigbee2mqtt/{name}/set",
            "state_topic": f"zigbee2mqtt/{name}",
        }
        for name in [*ECHOES, VETO_LIGHT]
    ]
    config = {
        "input_boolean": {name: {"name": name} for name in INPUT_BOOLEANS},
        "mqtt": {"light": lights},
        "script": {
            "person_script": {
                "sequence": [
                    {
                        "action": "input_boolean.turn_on",
                        "target": {"entity_id": "input_boolean.person_script_case"},
                    }
                ]
            }
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


def turn_on(entity_id: str, **data: Any) -> dict[str, Any]:  # noqa: ANN401
    """Return an action switching `entity_id` on."""
    action: dict[str, Any] = {
        "action": f"{entity_id.split('.')[0]}.turn_on",
        "target": {"entity_id": entity_id},
    }
    if data:
        action["data"] = data
    return action


def sun_offset(trigger_at: datetime, next_sunset: datetime) -> str:
    """Return the sun trigger offset that fires at `trigger_at`."""
    seconds = round((trigger_at - next_sunset).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def automations(trigger_at: datetime, next_sunset: datetime) -> list[dict[str, Any]]:
    """Return the cases' automations, all due at `trigger_at` (local time)."""
    at = trigger_at.strftime("%H:%M:%S")
    time_trigger = [{"trigger": "time", "at": at}]
    routine = render_automation(
        TimeOfDayPattern(
            pattern_id="origin_routine",
            entity_id="input_boolean.deployed_case",
            state="on",
            day_class=DayClass.DAILY,
            minute_of_day=trigger_at.hour * 60 + trigger_at.minute,
            window_minutes=30,
            support_days=9,
            observed_days=10,
            confidence=0.6,
        ),
        automation_id="ha_ai_origin_routine",
        names={},
    )
    if routine is None:
        raise devenv.DevEnvError("HA AI rendered no automation for the routine")
    # HA AI's routines trigger on the minute; this one a few seconds ahead.
    routine["triggers"] = time_trigger
    return [
        {"id": "origin_time", "triggers": time_trigger,
         "actions": [turn_on("input_boolean.time_case")]},
        {"id": "origin_sun",
         "triggers": [{"trigger": "sun", "event": "sunset",
                       "offset": sun_offset(trigger_at, next_sunset)}],
         "actions": [turn_on("input_boolean.sun_case")]},
        {"id": "origin_mqtt", "triggers": [{"trigger": "mqtt", "topic": REMOTE_TOPIC}],
         "actions": [turn_on("input_boolean.mqtt_case")]},
        {"id": "origin_state",
         "triggers": [{"trigger": "state", "entity_id": "input_boolean.state_source",
                       "to": "on"}],
         "actions": [turn_on("input_boolean.state_case")]},
        {"id": "origin_echoes", "triggers": time_trigger,
         "actions": [turn_on(f"light.{name}") for name in ECHOES]},
        {"id": "origin_dim", "triggers": time_trigger,
         "actions": [turn_on(f"light.{VETO_LIGHT}", brightness=50)]},
        routine,
    ]  # fmt: skip


class Zigbee2Mqtt:
    """Lights that answer commands late, like Zigbee2MQTT over a slow mesh."""

    def __init__(self, loop: asyncio.AbstractEventLoop, port: int) -> None:
        """Prepare a client for the broker on loopback `port`."""
        self.loop = loop
        self.port = port
        self.subscribed = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="origin-z2m")
        self.client.on_connect = lambda client, *_: client.subscribe(
            "zigbee2mqtt/+/set"
        )
        self.client.on_subscribe = lambda *_: loop.call_soon_threadsafe(
            self.subscribed.set
        )
        self.client.on_message = self._on_message

    async def start(self) -> None:
        """Connect and report every light's starting state (retained)."""
        self.client.connect(devenv.LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.subscribed.wait(), 10)
        for name in ECHOES:
            self.report(name, "OFF")
        self.report(VETO_LIGHT, "ON")

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        for task in self.tasks:
            task.cancel()
        self.client.disconnect()
        self.client.loop_stop()

    def report(self, name: str, state: str, **extra: Any) -> None:  # noqa: ANN401
        """Publish a light's state as Zigbee2MQTT does."""
        payload = json.dumps({"state": state, **extra})
        self.client.publish(f"zigbee2mqtt/{name}", payload, qos=1, retain=True)

    def press_remote(self) -> None:
        """Publish a remote's action (an MQTT trigger)."""
        self.client.publish(REMOTE_TOPIC, "single", qos=1)

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:  # noqa: ANN401
        name = message.topic.split("/")[1]
        command = json.loads(message.payload)
        self.loop.call_soon_threadsafe(self._answer, name, command)

    def _answer(self, name: str, command: dict[str, Any]) -> None:
        if name == VETO_LIGHT:
            # Not carried out; someone switches the light off at the wall.
            task = self.loop.create_task(self._later(VETO_PRESS_SECONDS, name, "OFF"))
        else:
            task = self.loop.create_task(
                self._later(ECHOES[name], name, command.get("state", "ON"))
            )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _later(self, delay: float, name: str, state: str) -> None:
        await asyncio.sleep(delay)
        self.report(name, state)


class StateContexts:
    """What Home Assistant's websocket says of each change: the context."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.changes: list[tuple[str, str | None, str, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, api: devenv.HassApi) -> None:
        """Subscribe to state_changed."""
        ws = await api.session.ws_connect(f"{api.base_url}/api/websocket")
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": api.access_token})
        await ws.receive_json()
        await ws.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
        )
        await ws.receive_json()
        self._task = asyncio.create_task(self._follow(ws))

    async def _follow(self, ws: Any) -> None:  # noqa: ANN401
        async for message in ws:
            event = json.loads(message.data).get("event", {})
            data = event.get("data", {})
            new, old = data.get("new_state"), data.get("old_state")
            if new is not None:
                self.changes.append(
                    (
                        data["entity_id"],
                        old and old["state"],
                        new["state"],
                        event.get("context", {}),
                    )
                )

    def stop(self) -> None:
        """Stop following."""
        if self._task:
            self._task.cancel()

    def parent_only(self, case: Case) -> Origin | None:
        """Return what the parent-only rule says of the case's change."""
        for entity_id, old, new, context in self.changes:
            if entity_id == case.entity_id and new == case.state and old != new:
                return classify_origin(
                    old, new, context_parent_id=context.get("parent_id")
                )
        return None


@dataclasses.dataclass
class Results:
    """Each case's label: live, back-filled, and by the parent-only rule."""

    live: dict[str, Origin | None]
    backfill: dict[str, Origin | None]
    parent_only: dict[str, Origin | None]


def labels(config_dir: Path, since: float) -> dict[str, Origin | None]:
    """Return the origin HA AI logged for each case's change after `since`."""
    table = read_table(
        config_dir / LOG_DIRECTORY,
        since=datetime.fromtimestamp(since, UTC).date(),
        drops=Drops(),
    )
    found: dict[str, Origin | None] = {case.name: None for case in CASES}
    for when, entity, state, origin in zip(
        table.when, table.entity, table.state, table.origin, strict=True
    ):
        for case in CASES:
            if (
                when >= since
                and table.entity_ids[entity] == case.entity_id
                and table.states[state] == case.state
                and found[case.name] is None
            ):
                found[case.name] = Origin(int(origin))
    return found


async def service(api: devenv.HassApi, domain: str, name: str, **data: Any) -> None:  # noqa: ANN401
    """Call a service as the logged-in person."""
    await api.call_service(domain, name, data)


async def wait_for_state(
    api: devenv.HassApi, entity_id: str, state: str, timeout: float = 30
) -> None:
    """Wait until an entity is in `state`."""
    deadline = time.monotonic() + timeout
    while (await api.request("GET", f"/api/states/{entity_id}"))["state"] != state:
        if time.monotonic() > deadline:
            msg = f"{entity_id} not {state} within {timeout} s"
            raise devenv.DevEnvError(msg)
        await asyncio.sleep(0.2)


def move_into_the_past(database: Path, cases_since: float) -> None:
    """Move the recorder's rows back: start-up before the window, cases a day.

    Rows from before the cases go before the back-fill's first day (so their
    state must be read from before it); the cases' rows and events go a day
    back together (so runs and changes still meet), days after them.
    """
    startup_shift = DEFAULT_HISTORY_DAYS * DAY + 3600
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as db, db:
        for table, columns in (
            ("states", ("last_updated_ts", "last_changed_ts", "last_reported_ts")),
            ("events", ("time_fired_ts",)),
        ):
            key = columns[0]
            # Start-up rows first: the cases' rows, once moved, are older too.
            for shift, condition in (
                (startup_shift, f"{key} < ?"),
                (DAY, f"{key} >= ?"),
            ):
                assignments = ", ".join(f"{c} = {c} - {shift}" for c in columns)
                db.execute(
                    f"UPDATE {table} SET {assignments} WHERE {condition}",  # noqa: S608
                    (cases_since,),
                )


async def schedule(
    env: devenv.Environment, zone: ZoneInfo, sunset: datetime
) -> datetime:
    """Write the automations due a few seconds from now and load them.

    A reload that took so long that the time has passed (a loaded machine) is
    done again with a later time.
    """
    for _ in range(3):
        trigger_at = (datetime.now(zone) + timedelta(seconds=LEAD_SECONDS)).replace(
            microsecond=0
        )
        (env.config_dir / "automations.yaml").write_text(
            yaml.safe_dump(automations(trigger_at, sunset), sort_keys=False),
            encoding="utf-8",
        )
        await service(env.api, "automation", "reload")
        if (trigger_at - datetime.now(zone)).total_seconds() > MIN_LEAD_SECONDS:
            return trigger_at
    msg = "the automations took too long to load"
    raise devenv.DevEnvError(msg)


def wait_for_recorder(database: Path, entity_id: str, timeout: float = 60) -> None:
    """Wait until the recorder has written the entity's `on` (the last case)."""
    deadline = time.monotonic() + timeout
    query = (
        "SELECT COUNT(*) FROM states JOIN states_meta USING (metadata_id) "
        "WHERE states_meta.entity_id = ? AND states.state = 'on'"
    )
    while True:
        with contextlib.closing(sqlite3.connect(database, timeout=60)) as db:
            if db.execute(query, (entity_id,)).fetchone()[0]:
                return
        if time.monotonic() > deadline:
            msg = f"the recorder did not write {entity_id} within {timeout} s"
            raise devenv.DevEnvError(msg)
        time.sleep(0.5)


async def run_cases(env: devenv.Environment) -> Results:
    """Run every case on the running instance; return the labels."""
    await devenv.ensure_mqtt_entry(env.api, env.mqtt_port, None)
    entry = await devenv.ensure_ha_ai_entry(env.api)
    loop = asyncio.get_running_loop()
    z2m = Zigbee2Mqtt(loop, env.mqtt_port)
    contexts = StateContexts()
    await z2m.start()
    try:
        await contexts.start(env.api)
        for name in ECHOES:
            await wait_for_state(env.api, f"light.{name}", "off")
        await wait_for_state(env.api, f"light.{VETO_LIGHT}", "on")
        sun = await env.api.request("GET", "/api/states/sun.sun")
        next_sunset = datetime.fromisoformat(sun["attributes"]["next_setting"])
        config = await env.api.request("GET", "/api/config")
        zone = ZoneInfo(config["time_zone"])
        await asyncio.sleep(1.5)  # the lights' starting states are in
        cases_since = time.time()  # wall clock, like the log
        trigger_at = await schedule(env, zone, next_sunset)
        devenv.log(f"Cases due at {trigger_at:%H:%M:%S}")
        await asyncio.sleep(max(0.0, (trigger_at - datetime.now(zone)).total_seconds()))
        z2m.press_remote()
        await service(env.api, "input_boolean", "turn_on",
                      entity_id="input_boolean.state_source")  # fmt: skip
        await service(env.api, "script", "person_script")
        await service(env.api, "input_boolean", "turn_on",
                      entity_id="input_boolean.manual_case")  # fmt: skip
        await asyncio.sleep(SETTLE_SECONDS)
        # Reloading HA AI writes its log; the recorder commits within seconds.
        await env.api.reload_entry(entry["entry_id"])
        await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
        live = labels(env.config_dir, cases_since)
        parent_only = {case.name: contexts.parent_only(case) for case in CASES}
    finally:
        contexts.stop()
        z2m.stop()

    await asyncio.to_thread(
        wait_for_recorder, env.config_dir / "home-assistant_v2.db", f"light.{LAST_ECHO}"
    )
    await asyncio.to_thread(
        move_into_the_past, env.config_dir / "home-assistant_v2.db", cases_since
    )
    shutil.rmtree(env.config_dir / LOG_DIRECTORY)
    await env.api.reload_entry(entry["entry_id"])
    await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
    backfill = await _wait_for_backfill(env.config_dir, cases_since - DAY)
    return Results(live, backfill, parent_only)


async def _wait_for_backfill(
    config_dir: Path, since: float
) -> dict[str, Origin | None]:
    deadline = time.monotonic() + 60
    while True:
        if (config_dir / LOG_DIRECTORY).exists():
            found = labels(config_dir, since)
            if all(origin is not None for origin in found.values()):
                return found
        if time.monotonic() > deadline:
            return (
                labels(config_dir, since)
                if (config_dir / LOG_DIRECTORY).exists()
                else {}
            )
        await asyncio.sleep(0.5)


def share_labelled_manual(found: dict[str, Origin | None]) -> float:
    """Return the share of automation-made changes not labelled automated."""
    made = [case for case in CASES if case.automation_made]
    wrong = [case for case in made if found.get(case.name) is not Origin.AUTOMATED]
    return len(wrong) / len(made)


async def measure(run_dir: Path) -> Results:
    """Start mosquitto and Home Assistant in `run_dir`, run the cases, stop."""
    (run_dir / "config" / "packages").mkdir(parents=True, exist_ok=True)
    (run_dir / "config" / "packages" / "origin.yaml").write_text(
        package_yaml(), encoding="utf-8"
    )
    (run_dir / "config" / "automations.yaml").write_text("[]\n", encoding="utf-8")
    async with devenv.environment(
        run_dir,
        devenv.free_port(),
        devenv.free_port(),
        {},
        debug=False,
        extra_yaml="sun:\n",
    ) as env:
        return await run_cases(env)


def figures(results: Results) -> list[dict[str, Any]]:
    """Turn the labels into the bench's JSON figures."""
    made = sum(case.automation_made for case in CASES)
    return [
        {
            "name": "origin_automated_labelled_manual_share",
            "value": round(share_labelled_manual(results.live), 3),
            "unit": "ratio",
            "automation_made_changes": made,
        },
        {
            "name": "origin_backfill_automated_labelled_manual_share",
            "value": round(share_labelled_manual(results.backfill), 3),
            "unit": "ratio",
            "automation_made_changes": made,
        },
        {
            "name": "origin_parent_only_rule_labelled_manual_share",
            "value": round(share_labelled_manual(results.parent_only), 3),
            "unit": "ratio",
            "automation_made_changes": made,
        },
        {
            "name": "origin_cases_labelled_as_expected",
            "value": sum(
                results.live.get(case.name) is case.expected for case in CASES
            ),
            "unit": "cases",
            "of": len(CASES),
        },
    ]


def named(found: dict[str, Origin | None]) -> dict[str, str | None]:
    """Return the labels by name, for JSON."""
    return {
        case: None if origin is None else origin.name for case, origin in found.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Run the cases once; print the labels (for the test) or the figures."""
    parser = argparse.ArgumentParser(
        prog="bench_origin.py", description="Who made each change, on a real HA."
    )
    parser.add_argument("run_dir", type=Path, help="where HA and mosquitto run")
    parser.add_argument(
        "--figures",
        action="store_true",
        help="print scripts/bench's JSON figures, one a line, instead of the labels",
    )
    args = parser.parse_args(argv)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    if args.figures:
        devenv.ensure_runtime_requirements()
    results = asyncio.run(measure(args.run_dir))
    if args.figures:
        for figure in figures(results):
            print(json.dumps(figure), flush=True)
        return 0
    print(
        json.dumps(
            {
                "live": named(results.live),
                "backfill": named(results.backfill),
                "parent_only": named(results.parent_only),
                "figures": figures(results),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
