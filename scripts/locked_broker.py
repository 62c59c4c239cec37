"""HA AI under a locked-down broker: no anonymous clients, a password and ACL each.

`python -m scripts.locked_broker` starts a real Home Assistant with HA AI and a
mosquitto with `allow_anonymous false`, a password file and the ACL of
`scripts/devenv/broker_acl.py` (the one the README gives): Home Assistant's
MQTT user, Zigbee2MQTT, the AI camera classifier, an outside deployer and an
outside listener, each with their own password and topics. It plays two acts
and prints what it saw as one JSON object:

1. `refused`: Home Assistant's user may not write HA AI's namespace. HA AI must
   say so (its warning in the log, its repair issue) and otherwise work: the
   Zigbee devices are seen, camera events counted, a signed deploy command from
   the deployer carried out (its answer cannot reach anyone).
2. `allowed`: the broker restarts with the full ACL; Home Assistant reconnects,
   HA AI's probe comes back and the issue goes. An analysis reaches the
   listener, a signed deploy from the deployer is answered `executed`, Home
   Assistant switches a Zigbee light with `/set`, and an event the deployer
   forges under HA AI's namespace reaches nobody.

tests/test_real_ha_locked_broker.py runs it as a child process and checks the
report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from scripts import devenv, zigbee2mqtt_sim
from scripts.bench import (
    add_run_dir_options,
    kept_when_failed,
    run_dir_for,
)
from scripts.bench_runs import (
    COMMAND_TTL,
    BenchAutomation,
    deploy,
    enable_remote_deploy,
    package_yaml,
    sign,
)
from scripts.devenv.broker_acl import (
    BrokerUser,
    camera_acl,
    deployer_acl,
    home_assistant_acl,
    listener_acl,
    zigbee2mqtt_acl,
)
from scripts.devenv.hass_api import repair_issues as list_repairs
from scripts.devenv.processes import start_mosquitto
from scripts.devenv.timed_client import Arrival, TimedClient

PREFIX = "ha-ai"
DEPLOY_TOPIC = f"{PREFIX}/commands/automation/deploy"
ANALYSIS_TOPIC = f"{PREFIX}/analysis/complete"
REFUSED_ISSUE = "mqtt_writes_refused"
REFUSED_WARNING = f"None of HA AI's probes on {PREFIX}/probe came back"
# The automations deployed by remote command, one per step that deploys.
AUTOMATIONS = ("refused", "allowed", "after_forgery")
CAMERA = "front_door"
CAMERA_EVENTS = 3
# Loopback only, for this run: one password per user.
HOME_ASSISTANT = ("homeassistant", "ha-password")
ZIGBEE2MQTT = ("zigbee2mqtt", "z2m-password")
CLASSIFIER = ("liveobject", "camera-password")
DEPLOYER = ("deployer", "deployer-password")
LISTENER = ("listener", "listener-password")
# Waits: HA AI concludes 17 s after connecting; Home Assistant reconnects within
# 10 s of the broker's return.
STEP_TIMEOUT = 60.0


def broker_users(*, refuse_namespace: bool) -> list[BrokerUser]:
    """Return the broker's users: Home Assistant's, and the outside programs'."""
    return [
        BrokerUser(
            *HOME_ASSISTANT, home_assistant_acl(refuse_namespace=refuse_namespace)
        ),
        BrokerUser(*ZIGBEE2MQTT, zigbee2mqtt_acl()),
        BrokerUser(*CLASSIFIER, camera_acl()),
        BrokerUser(*DEPLOYER, deployer_acl()),
        BrokerUser(*LISTENER, listener_acl()),
    ]


def client(
    port: int, credentials: tuple[str, str], topic: str, name: str
) -> TimedClient:
    """Return an outside client logged in as `credentials`, following `topic`."""
    loop = asyncio.get_running_loop()
    timed = TimedClient(loop, port, client_id=f"ha-ai-locked-{name}", topic=topic)
    timed.client.username_pw_set(*credentials)
    return timed


async def until[T](
    what: str, check: Callable[[], Awaitable[T | None]], timeout: float = STEP_TIMEOUT
) -> T:
    """Poll `check` until it returns something; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while (found := await check()) is None:
        if time.monotonic() > deadline:
            msg = f"{what} within {timeout:.0f} s"
            raise devenv.DevEnvError(msg)
        await asyncio.sleep(0.5)
    return found


async def publish_all(
    timed: TimedClient, messages: Sequence[zigbee2mqtt_sim.Message]
) -> None:
    """Publish Zigbee2MQTT's retained messages and wait for the broker's acks."""
    infos = [
        timed.client.publish(m.topic, m.payload, qos=1, retain=m.retain)
        for m in messages
    ]
    for info in infos:
        await asyncio.to_thread(info.wait_for_publish, 10)


async def repair_issues(api: devenv.HassApi) -> list[str]:
    """Return the ids of HA AI's repair issues, as the Repairs page lists them."""
    return [issue["issue_id"] for issue in await list_repairs(api, "ha_ai")]


async def number_state(api: devenv.HassApi, entity_id: str, want: int) -> int | None:
    """Return the entity's state once it is `want`."""
    state = await api.state(entity_id)
    return want if state == str(want) else None


async def automation_ids(api: devenv.HassApi) -> set[str]:
    """Return the ids of the automations Home Assistant runs."""
    states = await api.request("GET", "/api/states")
    return {
        str(s["attributes"].get("id"))
        for s in states
        if s["entity_id"].startswith("automation.")
    }


def signed_deploy(automation: BenchAutomation, secret: str) -> dict[str, Any]:
    """Return a signed deploy command, as README "Remote deploy over MQTT" shows."""
    return sign(
        {
            "event_id": uuid.uuid4().hex,
            "timestamp": datetime.now(UTC).isoformat(),
            "ttl": COMMAND_TTL,
            "automation_id": automation.automation_id,
            "suggestion_id": automation.suggestion_id,
            "automation": automation.config(),
        },
        secret,
    )


def hass_log(env: devenv.Environment) -> str:
    """Return Home Assistant's log so far."""
    return (env.run_dir / "hass.log").read_text(encoding="utf-8", errors="replace")


async def act_refused(
    env: devenv.Environment,
    simulation: zigbee2mqtt_sim.Simulation,
    deployer: TimedClient,
    secret: str,
) -> dict[str, Any]:
    """Check that HA AI, refused its writes, says so and otherwise works."""
    api = env.api
    devenv.log("Act 1: the broker refuses HA AI's publishes")
    warning = await until(
        "no warning about refused publishes",
        lambda: _found(REFUSED_WARNING, hass_log(env)),
    )
    issues = await repair_issues(api)
    devices = len(simulation.end_devices)
    await until(
        f"HA AI does not count {devices} Zigbee devices",
        lambda: number_state(api, "sensor.ha_ai_zigbee_devices", devices),
    )
    await send_camera_events(env.mqtt_port)
    await until(
        f"{CAMERA} does not count {CAMERA_EVENTS} events",
        lambda: number_state(api, f"sensor.{CAMERA}_events_today", CAMERA_EVENTS),
    )
    automation = BenchAutomation("refused")
    deadline = time.monotonic() + STEP_TIMEOUT
    while automation.automation_id not in await automation_ids(api):
        if time.monotonic() > deadline:
            msg = "the deploy command sent while refused was not carried out"
            raise devenv.DevEnvError(msg)
        # Sent again while the entry reloads with remote deploy on.
        deployer.publish(DEPLOY_TOPIC, signed_deploy(automation, secret))
        await asyncio.sleep(3)
    return {
        "warning": warning,
        "issues": issues,
        "zigbee_devices": devices,
        "camera_events": CAMERA_EVENTS,
        "deployed": automation.automation_id,
        "answers": [a.topic for a in deployer.drain()],
    }


async def _found(text: str, log: str) -> str | None:
    """Return the log line holding `text`, if there is one."""
    return next((line for line in log.splitlines() if text in line), None)


async def send_camera_events(port: int) -> None:
    """Publish the classifier's events for one camera, as the camera user."""
    classifier = client(port, CLASSIFIER, "liveobject/nothing", "classifier")
    await classifier.start()
    try:
        sent = [
            classifier.publish(
                f"liveobject/camera/{CAMERA}/event",
                {
                    "event_id": f"locked-{number}",
                    "camera_id": CAMERA,
                    "camera_name": "Front door",
                    "description": "A person at the door",
                    "objects_detected": ["person"],
                    "confidence": 90,
                    "source_type": "rtsp",
                    "timestamp": datetime.now(UTC).isoformat(),
                    "thumbnail_url": "",
                },
            )
            for number in range(CAMERA_EVENTS)
        ]
        for info in sent:
            await asyncio.to_thread(info.wait_for_publish, 10)
    finally:
        classifier.stop()


async def restart_broker(env: devenv.Environment) -> None:
    """Restart mosquitto on its port with the full ACL, as after fixing it."""
    devenv.log("Restarting mosquitto with HA AI allowed to publish")
    [mosquitto] = [s for s in env.group.services if s.name == "mosquitto"]
    await mosquitto.stop()
    env.group.services.remove(mosquitto)
    await start_mosquitto(
        env.group,
        env.run_dir / "mosquitto",
        env.mqtt_port,
        broker_users(refuse_namespace=False),
    )


async def act_allowed(
    env: devenv.Environment,
    simulation: zigbee2mqtt_sim.Simulation,
    secret: str,
) -> dict[str, Any]:
    """Allow HA AI to write: the issue goes, everything reaches its reader."""
    api = env.api
    await restart_broker(env)
    port = env.mqtt_port
    zigbee = client(port, ZIGBEE2MQTT, "zigbee2mqtt/+/+/set", "zigbee2mqtt")
    listener = client(port, LISTENER, f"{PREFIX}/analysis/#", "listener")
    deployer = client(
        port, DEPLOYER, f"{PREFIX}/responses/automation/#", "deployer-again"
    )
    for timed in (zigbee, listener, deployer):
        await timed.start(STEP_TIMEOUT)
    try:
        await publish_all(zigbee, simulation.messages)  # the broker kept nothing
        await until(
            "the repair issue stayed after the probe could come back",
            lambda: _without(REFUSED_ISSUE, api),
        )
        devenv.log("Act 2: a deploy, a light, a forged event, an analysis")
        automation = BenchAutomation("allowed")
        await deploy(deployer, secret, automation)
        command = await switch_light(api, zigbee, simulation)
        # A forged event: had the broker passed it on, the listener would have it
        # before the analysis that follows.
        deployer.publish(ANALYSIS_TOPIC, {"forged": True, "source": "ha_ai"})
        await deploy(deployer, secret, BenchAutomation("after_forgery"))
        await run_analysis(api)
        reached: list[Arrival] = []
        while "forged" in (analysis := await listener.next(STEP_TIMEOUT)).payload:
            reached.append(analysis)
    finally:
        for timed in (zigbee, listener, deployer):
            timed.stop()
    return {
        "issues": await repair_issues(api),
        "analysis": {"topic": analysis.topic, "payload": analysis.payload},
        "deployed": automation.automation_id,
        "light_command": command,
        "forged_reached_listener": [a.payload for a in reached],
        "warnings_after_fix": hass_log(env).count(REFUSED_WARNING),
    }


async def run_analysis(api: devenv.HassApi) -> None:
    """Ask for an analysis; HA AI refuses one within a minute of the last."""
    deadline = time.monotonic() + STEP_TIMEOUT + 60
    while True:
        try:
            await api.call_service("ha_ai", "run_analysis")
        except devenv.DevEnvError as err:
            if time.monotonic() > deadline:
                raise
            devenv.log(f"run_analysis refused ({str(err)[:60]}); again in 5 s")
            await asyncio.sleep(5)
        else:
            return


async def _without(issue: str, api: devenv.HassApi) -> bool | None:
    return True if issue not in await repair_issues(api) else None


async def switch_light(
    api: devenv.HassApi, zigbee: TimedClient, simulation: zigbee2mqtt_sim.Simulation
) -> dict[str, Any]:
    """Turn the simulated light on; return the `/set` Zigbee2MQTT received."""
    [light] = [e for e in simulation.entities if e.component == "light"]
    await api.call_service("light", "turn_on", {"entity_id": light.entity_id})
    arrival = await zigbee.next(STEP_TIMEOUT)
    return {"topic": arrival.topic, "payload": arrival.payload}


async def scenario(args: argparse.Namespace) -> int:
    """Run both acts in one Home Assistant; print the report."""
    run_dir = run_dir_for("locked-", args.run_dir)
    packages = run_dir / "config" / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    # The helpers the deployed automations use: a trigger each and the sink.
    (packages / "locked_broker.yaml").write_text(
        package_yaml([BenchAutomation(name) for name in AUTOMATIONS]),
        encoding="utf-8",
    )
    simulation = zigbee2mqtt_sim.build(zigbee2mqtt_sim.load_devices())
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir,
            devenv.free_port(),
            devenv.free_port(),
            {},
            debug=False,
            broker_users=broker_users(refuse_namespace=True),
        ) as env:
            api = env.api
            await devenv.ensure_mqtt_entry(
                api, env.mqtt_port, None, credentials=HOME_ASSISTANT
            )
            zigbee = client(env.mqtt_port, ZIGBEE2MQTT, "zigbee2mqtt/x", "z2m")
            await zigbee.start()
            try:
                await publish_all(zigbee, simulation.messages)
            finally:
                zigbee.stop()
            entry = await devenv.ensure_ha_ai_entry(api)
            secret = await enable_remote_deploy(api, entry["entry_id"])
            deployer = client(
                env.mqtt_port,
                DEPLOYER,
                f"{PREFIX}/responses/automation/#",
                "deployer",
            )
            await deployer.start()
            try:
                refused = await act_refused(env, simulation, deployer, secret)
            finally:
                deployer.stop()
            allowed = await act_allowed(env, simulation, secret)
    print(json.dumps({"refused": refused, "allowed": allowed}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the scenario."""
    parser = argparse.ArgumentParser(
        prog="locked_broker.py",
        description="Run HA AI under a locked-down mosquitto; print what it saw.",
    )
    add_run_dir_options(parser)
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(scenario(args))


if __name__ == "__main__":
    sys.exit(main())
