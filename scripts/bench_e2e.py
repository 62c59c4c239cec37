"""HA AI from end to end: one real Home Assistant, driven as a user's tools drive it.

`python -m scripts.bench_e2e` starts one Home Assistant process and a real
mosquitto (the environment `scripts/develop` runs), and goes through what a user
does with HA AI, only over Home Assistant's REST and websocket APIs and the
broker, printing one JSON line per step (`{"step": ..., ...what it saw}`) for
tests/test_real_ha_e2e.py to check:

1. `onboarding`: the owner account and the remaining onboarding steps over REST
   (the location step is marked done beforehand, as `scripts/develop` does);
2. `mqtt_entry`, `ha_ai_entry`: both config entries through their config flows
   (`/api/config/config_entries/flow`), with a Zigbee2MQTT device list retained
   on the broker beforehand (`scripts/zigbee2mqtt_sim.py`);
3. `first_analysis`: HA AI's first analysis of a planted history (three weeks
   of three helpers: a morning routine and a pair, see `planted_history`) on
   `ha-ai/analysis/complete`;
4. `zigbee`: HA AI's device and capability sensors of the device list;
5. `cameras`: AI camera events published on the broker, the cameras' entities
   and counts;
6. `user_automation`: an automation with an MQTT trigger on `ha-ai/events/...`
   written through the automation editor's REST API, run by
   `ha_ai.publish_event` (it publishes back what it received);
7. `accept_suggestion`: the planted pair's suggestion accepted; its automation
   exists, runs when its trigger fires, and `.../responses/automation/executed`
   says so;
8. `remote_deploy`: remote deploy switched on in the options flow, a signed
   deploy command (README "Remote deploy over MQTT"), the automation run;
9. `run_analysis`: `ha_ai.run_analysis` and its `analysis/complete`;
10. `sports`: a game played by the TeamTracker stand-in
    (`teamtracker.play_game`), its moments on `ha-ai/events/sports/...`;
11. `trigger_latency`: the figure below, over `--events` events.

`--bench` only creates the two entries and the user's automation (no history,
devices, cameras or game), sends 20 events of warm-up (`--warmup`), and prints
the figures alone, one JSON line each, for `scripts/bench --only trigger`: the
time from HA AI publishing an event to the user's MQTT-triggered automation
running. Both ends are read from Home Assistant's one clock: the event's
envelope `timestamp` (taken as `ha_ai.publish_event` queues it, right before it
is handed to Home Assistant's MQTT client) and `now()` in the automation's
action (the run under way). Between them: HA AI's queue, Home Assistant's MQTT
client, mosquitto on loopback, Home Assistant's MQTT client again, the trigger,
the automation's start (`trigger_automation_latency_*`). The outside view is
given too (`trigger_round_trip_*`): from the websocket `call_service` sent to
the automation's answer at an outside paho client, which adds the service call
and a second trip through the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from benchmarks.planted import Noise, Planted, PlantedPair, PlantedRoutine, generate
from scripts import devenv, zigbee2mqtt_sim
from scripts.bench import (
    WebSocketApi,
    add_measure_options,
    add_run_dir_options,
    emit,
    kept_when_failed,
    run_dir_for,
    summary,
)
from scripts.bench_runs import (
    BenchAutomation,
    deploy,
    enable_remote_deploy,
    one_run,
    package_yaml,
    response_client,
)
from scripts.bench_sports import STATE, BenchTeam, wait_followed
from scripts.devenv.demo_history import write_planted
from scripts.devenv.hass_api import finish_onboarding
from scripts.devenv.home_assistant import TIME_ZONE
from scripts.devenv.sports_demo import StandInTeam, teamtracker_yaml
from scripts.devenv.timed_client import Arrival, TimedClient
from scripts.devenv.zigbee_check import HA_AI_ENTITIES, find_state, zigbee_problem

PREFIX = "ha-ai"
ANALYSIS_TOPIC = f"{PREFIX}/analysis/#"
COMPLETE_TOPIC = f"{PREFIX}/analysis/complete"
EXECUTED_TOPIC = f"{PREFIX}/responses/automation/executed"
SPORTS_TOPIC = f"{PREFIX}/events/sports/#"
CAMERA_PREFIX = "liveobject"
LOG_DIRECTORY = Path(".storage") / "ha_ai_habits"

# The planted history: three weeks of three helpers (input_boolean is a domain
# HA AI logs, and its services are allowed by default).
HISTORY_DAYS = 21
SEED = 20261202
COFFEE = "input_boolean.e2e_coffee"
DOOR = "input_boolean.e2e_door"
HALL = "input_boolean.e2e_hall"

# The user's automation, as the automation editor saves it.
PING_PATH = "e2e/ping"
PING_TOPIC = f"{PREFIX}/events/{PING_PATH}"
ANSWER_TOPIC = "e2e/automation/ran"
USER_AUTOMATION_ID = "e2e_user_mqtt_trigger"
USER_AUTOMATION: dict[str, Any] = {
    "alias": "E2E answer HA AI's ping",
    "description": "Publishes back what HA AI's event carried, and when it ran.",
    "mode": "queued",
    "max": 50,
    "triggers": [{"trigger": "mqtt", "topic": PING_TOPIC}],
    "actions": [
        {
            "action": "mqtt.publish",
            "data": {
                "topic": ANSWER_TOPIC,
                "payload": (
                    "{{ {'seq': trigger.payload_json.seq, "
                    "'event_id': trigger.payload_json.event_id, "
                    "'published_at': trigger.payload_json.timestamp, "
                    "'ran_at': now().isoformat()} | to_json }}"
                ),
            },
        }
    ],
}

# Cameras: events published per camera, the first of each a doorbell ring.
CAMERAS = {"e2e_front_door": 3, "e2e_garden": 1}
CAMERA_TIMEOUT = 30.0

REMOTE = BenchAutomation("e2e")
TEAM = BenchTeam(
    StandInTeam("Seahawks", "NFL", "SEA", "nfl_overtime", score_events=False), STATE
)
FINAL_MOMENTS = ("won", "lost", "tied")
GAME_SPEED = 100_000.0
GAME_MAX_PAUSE = 0.05

STEP_TIMEOUT = 60.0
FIRST_PING_WAIT = 1.0
ANALYSIS_RETRY = 2.0


def planted_history(today: date, zone: ZoneInfo) -> Planted:
    """Return the household's three weeks before `today`, as HA AI would log them.

    The coffee machine goes on at about 06:45 every day (a routine); the hall
    light goes on 5 to 30 s after each time the door opens, at random times of
    day (a pair, never a routine); the door also closes now and then, the hall
    light goes off at random times, and a few of those changes are made by
    automations (which must not count).
    """
    return generate(
        days=HISTORY_DAYS,
        seed=SEED,
        timezone=zone,
        start=today - timedelta(days=HISTORY_DAYS),
        routines=[PlantedRoutine(COFFEE, "on", 6 * 60 + 45, jitter_minutes=4)],
        pairs=[
            PlantedPair(
                DOOR,
                "on",
                HALL,
                "on",
                probability=1.0,
                min_delay_seconds=5,
                max_delay_seconds=30,
            )
        ],
        noise=[
            Noise(DOOR, per_day=4.0),
            Noise(HALL, per_day=2.0, states=("off",), automated_share=0.3),
            Noise(COFFEE, per_day=1.0, states=("off",)),
        ],
    )


def helpers_yaml() -> str:
    """Return the package of the planted helpers."""
    names = [entity.split(".")[1] for entity in (COFFEE, DOOR, HALL)]
    return yaml.safe_dump({"input_boolean": {name: {"name": name} for name in names}})


@dataclasses.dataclass
class Clients:
    """The outside MQTT clients, one per kind of message (each its own queue)."""

    analysis: TimedClient
    responses: TimedClient
    answers: TimedClient
    sports: TimedClient

    @classmethod
    async def start(cls, port: int) -> Clients:
        """Connect and subscribe all of them."""
        loop = asyncio.get_running_loop()
        clients = cls(
            TimedClient(loop, port, client_id="e2e-analysis", topic=ANALYSIS_TOPIC),
            response_client(loop, port),
            TimedClient(loop, port, client_id="e2e-answers", topic=ANSWER_TOPIC),
            TimedClient(loop, port, client_id="e2e-sports", topic=SPORTS_TOPIC),
        )
        for client in clients.all():
            await client.start()
        return clients

    def all(self) -> tuple[TimedClient, ...]:
        """Return every client."""
        return (self.analysis, self.responses, self.answers, self.sports)

    def stop(self) -> None:
        """Disconnect every client."""
        for client in self.all():
            client.stop()


async def next_on(client: TimedClient, topic: str, timeout: float) -> Arrival:
    """Return the next message on `topic`, passing over the others."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            arrival = await client.next(max(deadline - time.monotonic(), 0))
        except TimeoutError:
            msg = f"nothing on {topic} within {timeout:.0f} s"
            raise devenv.DevEnvError(msg) from None
        if arrival.topic == topic:
            return arrival


def step(name: str, **seen: Any) -> None:  # noqa: ANN401 - any JSON
    """Report one step of the scenario on stdout."""
    emit({"step": name, **seen})


async def state_of(api: devenv.HassApi, entity_id: str) -> dict[str, Any] | None:
    """Return an entity's whole state, or None when Home Assistant has none."""
    try:
        found: dict[str, Any] = await api.request("GET", f"/api/states/{entity_id}")
    except devenv.DevEnvError as err:
        if "HTTP 404" in str(err):
            return None
        raise
    return found


async def onboarding(env: devenv.Environment) -> None:
    """Finish onboarding over REST; report the steps Home Assistant says are done."""
    await finish_onboarding(env.api)
    async with env.api.session.get(f"{env.api.base_url}/api/onboarding") as answer:
        steps = await answer.json() if answer.status == 200 else []  # noqa: PLR2004
    step(
        "onboarding",
        onboarded_now=env.onboarded_now,
        steps={item["step"]: item["done"] for item in steps},
        status=answer.status,
    )


async def entries(env: devenv.Environment) -> None:
    """Create the mqtt and ha_ai entries through their config flows."""
    ha_ai = await devenv.ensure_entries(env.api, env.mqtt_port)
    [mqtt] = await env.api.entries("mqtt")
    step("mqtt_entry", state=mqtt["state"], title=mqtt["title"])
    step("ha_ai_entry", state=ha_ai["state"], title=ha_ai["title"])


async def publish_device_list(port: int) -> zigbee2mqtt_sim.Simulation:
    """Publish the Zigbee2MQTT stand-in's bridge and devices, retained."""
    simulation = zigbee2mqtt_sim.build(zigbee2mqtt_sim.load_devices())
    await asyncio.to_thread(
        zigbee2mqtt_sim.publish, devenv.LOOPBACK, port, simulation.messages
    )
    return simulation


async def zigbee(api: devenv.HassApi, simulation: zigbee2mqtt_sim.Simulation) -> None:
    """Wait for HA AI's device and capability sensors of the device list."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        states = await api.request("GET", "/api/states")
        found = {
            key: find_state(states, entity_id, name)
            for key, entity_id, name in HA_AI_ENTITIES
        }
        problem = zigbee_problem(found, simulation)
        if problem is None:
            break
        if time.monotonic() > deadline:
            raise devenv.DevEnvError(problem)
        await asyncio.sleep(0.5)
    unused = found["unused"] or {}
    step(
        "zigbee",
        end_devices=len(simulation.end_devices),
        devices=(found["devices"] or {}).get("state"),
        bridge=(found["bridge"] or {}).get("state"),
        unused_capabilities=unused.get("state"),
        opportunities=[
            item.get("entity_id")
            for item in unused.get("attributes", {}).get("top_opportunities") or []
        ],
    )


def camera_event(camera: str, number: int) -> dict[str, Any]:
    """Return the classifier's `number`th event of `camera` (the first rings)."""
    return {
        "event_id": f"{camera}-{number}",
        "camera_id": camera,
        # The device's name, hence its entities' ids: `sensor.<camera>_...`.
        "camera_name": camera.replace("_", " ").title(),
        "description": f"A person, event {number}",
        "objects_detected": ["person"],
        "confidence": 90,
        "source_type": "e2e",
        "timestamp": datetime.now().astimezone().isoformat(),
        "thumbnail_url": "http://127.0.0.1/thumb.jpg",
        "is_doorbell_ring": number == 1,
    }


async def cameras(api: devenv.HassApi, publisher: TimedClient) -> None:
    """Publish camera events; report each camera's entities and counts.

    Home Assistant subscribes a moment after the entry is loaded, so each
    camera's first event is sent again (with its `event_id`: counted once) until
    the camera's device exists; the others follow.
    """
    deadline = time.monotonic() + CAMERA_TIMEOUT
    for camera in CAMERAS:
        first = camera_event(camera, 1)
        while await state_of(api, f"sensor.{camera}_events_today") is None:
            if time.monotonic() > deadline:
                msg = f"camera {camera} did not appear"
                raise devenv.DevEnvError(msg)
            publisher.publish(f"{CAMERA_PREFIX}/camera/{camera}/event", first)
            await asyncio.sleep(0.5)
    for camera, count in CAMERAS.items():
        for number in range(2, count + 1):
            publisher.publish(
                f"{CAMERA_PREFIX}/camera/{camera}/event", camera_event(camera, number)
            )
    seen: dict[str, Any] = {}
    for camera, count in CAMERAS.items():
        while True:
            today = await state_of(api, f"sensor.{camera}_events_today")
            if today is not None and today["state"] == str(count):
                break
            if time.monotonic() > deadline:
                msg = f"camera {camera}: {today} after {count} events"
                raise devenv.DevEnvError(msg)
            await asyncio.sleep(0.25)
        detection = await state_of(api, f"event.{camera}_detection") or {}
        activity = await state_of(api, f"binary_sensor.{camera}_recent_activity")
        description = await state_of(api, f"sensor.{camera}_last_description")
        seen[camera] = {
            "events_today": int(today["state"]),
            "detection": detection.get("attributes", {}).get("event_type"),
            "recent_activity": (activity or {}).get("state"),
            "last_description": (description or {}).get("state"),
        }
    step("cameras", cameras=seen)


async def add_user_automation(api: devenv.HassApi) -> None:
    """Save the user's automation as the automation editor does."""
    await api.request(
        "POST", f"/api/config/automation/config/{USER_AUTOMATION_ID}", USER_AUTOMATION
    )
    deadline = time.monotonic() + STEP_TIMEOUT
    while await automation_entity(api, USER_AUTOMATION_ID) is None:
        if time.monotonic() > deadline:
            msg = "the user's automation did not appear"
            raise devenv.DevEnvError(msg)
        await asyncio.sleep(0.25)


async def automation_entity(api: devenv.HassApi, automation_id: str) -> str | None:
    """Return the entity of the automation with `automation_id`, if there is one."""
    for state in await api.request("GET", "/api/states"):
        if (
            state["entity_id"].startswith("automation.")
            and state["attributes"].get("id") == automation_id
        ):
            return str(state["entity_id"])
    return None


@dataclasses.dataclass(frozen=True)
class Ping:
    """One event HA AI published and the user's automation's answer to it."""

    event_id: str
    answer: Arrival
    round_trip_ms: float

    @property
    def automation_ms(self) -> float:
        """Return ms from HA AI's envelope timestamp to the automation's run."""
        published = datetime.fromisoformat(self.answer.payload["published_at"])
        ran = datetime.fromisoformat(self.answer.payload["ran_at"])
        return (ran - published).total_seconds() * 1000


async def ping(
    ws: WebSocketApi, answers: TimedClient, seq: int, timeout: float
) -> Ping:
    """Have HA AI publish event `seq`; wait for the user's automation's answer.

    Answers to earlier events (one sent again, see `first_ping`) are passed over.
    """
    answers.drain()
    started = time.perf_counter()
    published = await ws.result(
        await ws.send(
            {
                "type": "call_service",
                "domain": "ha_ai",
                "service": "publish_event",
                "service_data": {"path": PING_PATH, "payload": {"seq": seq}},
                "return_response": True,
            }
        )
    )
    event_id = published["response"]["event_id"]
    deadline = time.monotonic() + timeout
    while True:
        answer = await next_on(answers, ANSWER_TOPIC, deadline - time.monotonic())
        if answer.payload.get("event_id") == event_id:
            break
    if answer.payload.get("seq") != seq:
        msg = f"the automation answered {answer.payload}, not seq {seq}"
        raise devenv.DevEnvError(msg)
    return Ping(event_id, answer, (answer.at - started) * 1000)


async def first_ping(api: devenv.HassApi, answers: TimedClient) -> Ping:
    """Ping until the user's automation answers.

    Its entity exists before Home Assistant's MQTT client has subscribed to its
    trigger's topic (the subscriptions are sent after a short debounce): an
    event published meanwhile reaches nobody, and is sent again.
    """
    ws = await WebSocketApi.connect(api)
    deadline = time.monotonic() + STEP_TIMEOUT
    try:
        while True:
            try:
                return await ping(ws, answers, 0, FIRST_PING_WAIT)
            except devenv.DevEnvError:
                if time.monotonic() > deadline:
                    raise
    finally:
        await ws.ws.close()


async def user_automation(api: devenv.HassApi, answers: TimedClient) -> None:
    """Add the user's MQTT-triggered automation; HA AI's event must run it."""
    await add_user_automation(api)
    answered = await first_ping(api, answers)
    entity_id = await automation_entity(api, USER_AUTOMATION_ID)
    state = await state_of(api, str(entity_id)) or {}
    step(
        "user_automation",
        entity_id=entity_id,
        event_id=answered.event_id,
        answer=answered.answer.payload,
        last_triggered=state.get("attributes", {}).get("last_triggered"),
    )


async def measure_trigger(
    api: devenv.HassApi, answers: TimedClient, events: int, timeout: float
) -> list[dict[str, Any]]:
    """Time `events` events from HA AI's publish to the user's automation."""
    ws = await WebSocketApi.connect(api)
    try:
        pings = [await ping(ws, answers, seq, timeout) for seq in range(1, events + 1)]
    finally:
        await ws.ws.close()
    return [
        *summary("trigger_automation_latency", [p.automation_ms for p in pings]),
        *summary("trigger_round_trip", [p.round_trip_ms for p in pings]),
        {"name": "trigger_samples", "value": len(pings), "unit": "events"},
    ]


async def get_suggestions(api: devenv.HassApi, status: str) -> list[dict[str, Any]]:
    """Return HA AI's suggestions of `status`, as `ha_ai.get_suggestions` gives them."""
    answer = await api.call_service(
        "ha_ai", "get_suggestions", {"status": status}, return_response=True
    )
    found: list[dict[str, Any]] = answer["service_response"]["suggestions"]
    return found


async def set_helper(api: devenv.HassApi, entity_id: str, *, on: bool) -> None:
    """Switch a helper on or off over REST, as a person does."""
    service = "turn_on" if on else "turn_off"
    await api.call_service("input_boolean", service, {"entity_id": entity_id})


async def accept_suggestion(api: devenv.HassApi, responses: TimedClient) -> None:
    """Accept the planted pair's suggestion, then set its automation off."""
    new = await get_suggestions(api, "new")
    pair = next(
        (s for s in new if s["kind"] == "used_together" and DOOR in s["entities"]),
        None,
    )
    if pair is None:
        msg = f"no suggestion of the door and the hall light among {new}"
        raise devenv.DevEnvError(msg)
    responses.drain()
    accepted = await api.call_service(
        "ha_ai",
        "accept_suggestion",
        {"suggestion_id": pair["suggestion_id"]},
        return_response=True,
    )
    automation_id = accepted["service_response"]["automation_id"]
    deployed = await next_on(responses, EXECUTED_TOPIC, STEP_TIMEOUT)
    entity_id = await automation_entity(api, automation_id)
    # The door closed and the light off; then the door opens.
    await set_helper(api, HALL, on=False)
    await set_helper(api, DOOR, on=False)
    responses.drain()
    await set_helper(api, DOOR, on=True)
    run = await next_on(responses, EXECUTED_TOPIC, STEP_TIMEOUT)
    step(
        "accept_suggestion",
        suggestion=pair,
        accepted=accepted["service_response"],
        deployed=deployed.payload,
        entity_id=entity_id,
        run=run.payload,
        hall=await api.state(HALL),
    )


async def remote_deploy(api: devenv.HassApi, responses: TimedClient) -> None:
    """Switch remote deploy on, deploy by a signed command, run the automation."""
    [entry] = await api.entries("ha_ai")
    secret = await enable_remote_deploy(api, entry["entry_id"])
    await api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
    responses.drain()
    await deploy(responses, secret, REMOTE)
    entity_id = await automation_entity(api, REMOTE.automation_id)
    _, run = await one_run(api, responses, REMOTE, STEP_TIMEOUT)
    step(
        "remote_deploy",
        automation_id=REMOTE.automation_id,
        entity_id=entity_id,
        run=run.payload,
    )


async def run_analysis(api: devenv.HassApi, analysis: TimedClient) -> None:
    """Run the analysis on demand; report its answer and `analysis/complete`.

    A run is refused for a minute after the last one ended: the refusal is
    retried until STEP_TIMEOUT after it.
    """
    deadline = time.monotonic() + 60 + STEP_TIMEOUT
    analysis.drain()
    while True:
        try:
            answer = await api.call_service(
                "ha_ai", "run_analysis", return_response=True
            )
            break
        except devenv.DevEnvError as err:
            if "HTTP 400" not in str(err) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(ANALYSIS_RETRY)
    complete = await next_on(analysis, COMPLETE_TOPIC, STEP_TIMEOUT)
    step(
        "run_analysis",
        response=answer["service_response"],
        complete=complete.payload,
        open_suggestions=len(await get_suggestions(api, "new")),
    )


async def sports(api: devenv.HassApi, client: TimedClient) -> None:
    """Play one game of the stand-in's team; report the moments on the broker."""
    await wait_followed(api, (TEAM,))
    client.drain()
    await api.call_service(
        "teamtracker",
        "play_game",
        {
            "entity_id": TEAM.standin.entity_id,
            "speed": GAME_SPEED,
            "max_pause": GAME_MAX_PAUSE,
        },
    )
    moments: list[dict[str, Any]] = []
    while not moments or moments[-1]["moment"] not in FINAL_MOMENTS:
        arrival = await client.next(STEP_TIMEOUT)
        moments.append({"topic": arrival.topic, **arrival.payload})
    step("sports", team_topic=TEAM.topic, moments=moments)


async def scenario(env: devenv.Environment, args: argparse.Namespace) -> None:
    """Go through every step, in one Home Assistant process."""
    await onboarding(env)
    clients = await Clients.start(env.mqtt_port)
    try:
        simulation = await publish_device_list(env.mqtt_port)
        await entries(env)
        complete = await next_on(clients.analysis, COMPLETE_TOPIC, STEP_TIMEOUT)
        step("first_analysis", complete=complete.payload)
        await zigbee(env.api, simulation)
        await cameras(env.api, clients.responses)
        await user_automation(env.api, clients.answers)
        await accept_suggestion(env.api, clients.responses)
        await remote_deploy(env.api, clients.responses)
        await run_analysis(env.api, clients.analysis)
        await sports(env.api, clients.sports)
        figures = await measure_trigger(
            env.api, clients.answers, args.events, args.timeout
        )
        step("trigger_latency", figures=figures)
    finally:
        clients.stop()


async def bench_trigger(env: devenv.Environment, args: argparse.Namespace) -> None:
    """Set up the entries and the user's automation; print the figures alone."""
    await devenv.ensure_entries(env.api, env.mqtt_port)
    answers = TimedClient(
        asyncio.get_running_loop(),
        env.mqtt_port,
        client_id="e2e-answers",
        topic=ANSWER_TOPIC,
    )
    await answers.start()
    try:
        await add_user_automation(env.api)
        await first_ping(env.api, answers)
        devenv.log(f"Warm-up: {args.warmup} events")
        await measure_trigger(env.api, answers, args.warmup, args.timeout)
        devenv.log(f"Measuring {args.events} events")
        figures = await measure_trigger(env.api, answers, args.events, args.timeout)
    finally:
        answers.stop()
    for figure in figures:
        emit(figure)


async def run(args: argparse.Namespace) -> int:
    """Plant the history, start the environment, go through it, stop."""
    run_dir = run_dir_for("e2e-", args.run_dir)
    config_dir = run_dir / "config"
    packages = config_dir / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    (packages / "e2e.yaml").write_text(helpers_yaml(), encoding="utf-8")
    (packages / "e2e_remote.yaml").write_text(package_yaml([REMOTE]), encoding="utf-8")
    if not args.bench:
        zone = ZoneInfo(TIME_ZONE)
        planted = planted_history(datetime.now(zone).date(), zone)
        written = write_planted(config_dir / LOG_DIRECTORY, planted)
        devenv.log(f"Planted {written} changes in HA AI's log")
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir,
            devenv.free_port(),
            devenv.free_port(),
            {},
            debug=False,
            extra_yaml=teamtracker_yaml([TEAM.standin]),
        ) as env:
            if args.bench:
                await bench_trigger(env, args)
            else:
                await scenario(env, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the scenario or the bench."""
    parser = argparse.ArgumentParser(
        prog="bench_e2e.py",
        description="Drive HA AI in a real Home Assistant from end to end; one "
        "JSON line per step (or, with --bench, per figure).",
    )
    parser.add_argument(
        "--bench",
        action="store_true",
        help="only time HA AI's events to the user's MQTT-triggered automation",
    )
    add_measure_options(parser, events="events timed", each="answer")
    parser.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="--bench: events sent first and not counted (default %(default)s)",
    )
    add_run_dir_options(parser)
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
