"""An automation HA AI deployed runs: how soon an outside MQTT client hears of it.

The figure a consumer of `<prefix>/responses/automation/executed` cares about is
how long after something sets an HA AI automation off the report of its run
reaches them. So that is what is timed, through a real Home Assistant with HA AI
and a real mosquitto (the environment `scripts/develop` runs): an
`input_boolean` toggled through the REST API (`POST /api/services/...`), Home
Assistant's state machine, the automation's state trigger and its action, HA
AI's run follower (the `automation_triggered` event, the run's end, its trace),
its MQTT bus, mosquitto on loopback, and a paho client that timestamps each
report in its own thread (`scripts/bench.py`'s pattern).

The automations are deployed by HA AI as an outside program would have it do:
remote deploy is switched on in the entry's options (the options flow over
REST, whose last step shows the new shared secret), then one signed command per
automation goes to `<prefix>/commands/automation/deploy`, signed as the README's
"Commands: remote deploy" shows, each with a `suggestion_id` of the sender's.
Each automation has its own `input_boolean` as state trigger and toggles one
shared `input_boolean` (the sink) as its action: the sink's state then carries
the run's context, which the report's `run_id` must be (for the failed run
below, which changes nothing, the context comes from the run's trace).

HA AI reports at most 6 runs per automation per minute (`BurstLimiter`); the
runs beyond come as one summary, which is not what is measured. Spacing the runs
of one automation more than 10 s apart would make 200 runs take over half an
hour, so the bench deploys 35 automations (`--automations`) and takes them in
turn: 200 runs are at most 6 of each, all reported one by one. Should more runs
be asked for than the automations can carry in a minute, the bench waits
before an automation's seventh run until its window is over (`BurstPacer`).

The failed path is reported once: one more automation whose action sets a
number beyond its range (`input_number.set_value` of 1000 on a number of 0 to
10). The value is a number, as the service's schema asks, so HA AI's check
admits it; the entity refuses it when the call is made. Its run must reach the
client on `.../failed` with the error.

`scripts/bench --only runs` prints p50/p95/max/mean of the latency in ms, one
JSON line each, and the failed run's latency with its error;
tests/test_real_ha_runs.py runs a short one and checks each report it recorded
(`--record`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import hmac
import json
import math
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from custom_components.ha_ai.engine.automations.runs import (
    DEFAULT_PER_WINDOW,
    DEFAULT_WINDOW,
)
from custom_components.ha_ai.engine.automations.safety import DEFAULT_ALLOWED_SERVICES
from scripts import devenv
from scripts.bench import (
    WebSocketApi,
    add_measure_options,
    add_run_dir_options,
    emit,
    kept_when_failed,
    positive,
    run_dir_for,
    summary,
)
from scripts.devenv.timed_client import Arrival, TimedClient

PREFIX = "ha-ai"
RESPONSES = f"{PREFIX}/responses/automation"
EXECUTED_TOPIC = f"{RESPONSES}/executed"
FAILED_TOPIC = f"{RESPONSES}/failed"
DEPLOY_TOPIC = f"{PREFIX}/commands/automation/deploy"
AUTOMATIONS = 35
SINK = "input_boolean.bench_runs_sink"
# What the failing automation sets beyond its range.
OUT_OF_RANGE = "input_number.bench_runs_level"
OUT_OF_RANGE_SERVICE = "input_number.set_value"
FAILING = "failing"
COMMAND_TTL = 300
# How long to wait for the first deploy's answer before sending it again: the
# entry reloads after remote deploy is switched on, then subscribes.
ANSWER_TIMEOUT = 5.0
DEPLOY_TIMEOUT = 60.0
# After the window of the burst limit: HA AI opens it at the run's end, the bench
# at the report's arrival (later), so a second covers the clocks' difference.
WINDOW_MARGIN = 1.0


@dataclasses.dataclass(frozen=True)
class BenchAutomation:
    """One automation the bench deploys: its id, trigger and the sender's suggestion."""

    name: str

    @property
    def automation_id(self) -> str:
        """Return the id the deploy command gives it."""
        return f"bench_runs_{self.name}"

    @property
    def suggestion_id(self) -> str:
        """Return the id of the (outside program's) suggestion it came from."""
        return f"bench_suggestion_{self.name}"

    @property
    def trigger_entity(self) -> str:
        """Return the input_boolean whose change runs it."""
        return f"input_boolean.bench_runs_trigger_{self.name}"

    @property
    def trigger_description(self) -> str:
        """Return how Home Assistant describes its trigger (the report's `trigger`)."""
        return f"state of {self.trigger_entity}"

    def config(self, *, failing: bool = False) -> dict[str, Any]:
        """Return the automation: any change of its trigger toggles the sink.

        The failing one sets a number beyond its range, which the number
        refuses when it is called.
        """
        action: dict[str, Any] = (
            {
                "action": OUT_OF_RANGE_SERVICE,
                "target": {"entity_id": OUT_OF_RANGE},
                "data": {"value": 1000},
            }
            if failing
            else {"action": "input_boolean.toggle", "target": {"entity_id": SINK}}
        )
        return {
            "alias": f"Bench runs {self.name}",
            "triggers": [
                {"trigger": "state", "entity_id": self.trigger_entity, "to": None}
            ],
            "actions": [action],
        }


def bench_automations(count: int) -> list[BenchAutomation]:
    """Return the `count` measured automations."""
    return [BenchAutomation(f"{number:02d}") for number in range(1, count + 1)]


def package_yaml(automations: list[BenchAutomation]) -> str:
    """Return the helpers: each automation's trigger, the sink, the number."""
    names = [a.trigger_entity.split(".")[1] for a in automations]
    names.append(SINK.split(".")[1])
    return yaml.safe_dump(
        {
            "input_boolean": {name: {"name": name} for name in names},
            "input_number": {
                OUT_OF_RANGE.split(".")[1]: {"name": "Bench runs", "min": 0, "max": 10}
            },
        },
        sort_keys=False,
    )


def sign(command: dict[str, Any], secret: str) -> dict[str, Any]:
    """Sign a command as the README's "Commands: remote deploy" shows."""
    body = {key: value for key, value in command.items() if key != "signature"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body["signature"] = hmac.new(
        secret.encode(), text.encode(), hashlib.sha256
    ).hexdigest()
    return body


def response_client(loop: asyncio.AbstractEventLoop, port: int) -> TimedClient:
    """Return an outside client of HA AI's answers and run reports.

    It also sends the deploy commands.
    """
    return TimedClient(loop, port, client_id="ha-ai-bench-runs", topic=f"{RESPONSES}/#")


class BurstPacer:
    """Keeps each automation within HA AI's burst limit, as HA AI counts it.

    HA AI opens an automation's window with its first run after the last window
    ended and reports `per_window` runs in it; the pacer opens its own at that
    run's report (a little later), and makes the run that would be one too many
    wait until the window is over.
    """

    def __init__(self, per_window: int, window: float) -> None:
        """Allow `per_window` runs per `window` seconds and automation."""
        self.per_window = per_window
        self.window = window
        self._windows: dict[str, tuple[float, int]] = {}
        self.waited = 0.0

    async def before_run(self, automation_id: str) -> None:
        """Wait, if need be, until this run will be reported one by one."""
        opened, runs = self._windows.get(automation_id, (-math.inf, 0))
        ends = opened + self.window + WINDOW_MARGIN
        if runs >= self.per_window and time.perf_counter() < ends:
            pause = ends - time.perf_counter()
            self.waited += pause
            await asyncio.sleep(pause)

    def reported(self, automation_id: str, at: float) -> None:
        """Count a run reported at `at` (perf_counter) in its window."""
        opened, runs = self._windows.get(automation_id, (-math.inf, 0))
        if at >= opened + self.window + WINDOW_MARGIN:
            opened, runs = at, 0
        self._windows[automation_id] = (opened, runs + 1)


def suggested_input(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """Return what a form sends when submitted as shown: its suggested values.

    The frontend fills each field with its suggested value; a section
    (`expandable`) is sent as a mapping of its own fields.
    """
    values: dict[str, Any] = {}
    for field in schema:
        if field.get("type") == "expandable":
            values[field["name"]] = suggested_input(field["schema"])
        elif "suggested_value" in (field.get("description") or {}):
            values[field["name"]] = field["description"]["suggested_value"]
    return values


async def enable_remote_deploy(api: devenv.HassApi, entry_id: str) -> str:
    """Switch remote deploy on in the entry's options; return the new secret.

    The options flow's last step shows the secret once, as the user sees it.
    `input_number.set_value`, which the failing automation calls, is added to
    the allowed services, as a user would.
    """
    flows = "/api/config/config_entries/options/flow"
    form = await api.request("POST", flows, {"handler": entry_id})
    shown = await api.request(
        "POST",
        f"{flows}/{form['flow_id']}",
        {
            "remote_deploy": {"remote_deploy_enabled": True},
            "automation_safety": {
                "allowed_services": [*DEFAULT_ALLOWED_SERVICES, OUT_OF_RANGE_SERVICE]
            },
        },
    )
    if shown.get("step_id") == "sports":
        # Where HA AI found TeamTracker teams: the teams' step, kept as shown.
        shown = await api.request(
            "POST",
            f"{flows}/{form['flow_id']}",
            suggested_input(shown["data_schema"]),
        )
    if shown.get("step_id") != "remote_secret":
        msg = f"remote deploy not switched on: {shown}"
        raise devenv.DevEnvError(msg)
    secret = str(shown["description_placeholders"]["secret"])
    done = await api.request("POST", f"{flows}/{form['flow_id']}", {})
    if done.get("type") != "create_entry":
        msg = f"options flow did not finish: {done}"
        raise devenv.DevEnvError(msg)
    return secret


async def deploy(
    client: TimedClient,
    secret: str,
    automation: BenchAutomation,
    *,
    failing: bool = False,
) -> None:
    """Have HA AI deploy one automation; wait for its answer.

    A command not answered within ANSWER_TIMEOUT is sent again with a new
    `event_id` (HA AI may still be reloading with remote deploy on), until
    DEPLOY_TIMEOUT.
    """
    deadline = time.monotonic() + DEPLOY_TIMEOUT
    while True:
        event_id = uuid.uuid4().hex
        client.publish(
            DEPLOY_TOPIC,
            sign(
                {
                    "event_id": event_id,
                    "timestamp": datetime.now(UTC).isoformat(),
                    "ttl": COMMAND_TTL,
                    "automation_id": automation.automation_id,
                    "suggestion_id": automation.suggestion_id,
                    "automation": automation.config(failing=failing),
                },
                secret,
            ),
        )
        answer_by = time.monotonic() + ANSWER_TIMEOUT
        while (left := answer_by - time.monotonic()) > 0:
            try:
                answer = await client.next(left)
            except TimeoutError:
                break
            if answer.payload.get("command_event_id") != event_id:
                continue
            if answer.topic != EXECUTED_TOPIC:
                msg = f"deploy of {automation.automation_id} refused: {answer.payload}"
                raise devenv.DevEnvError(msg)
            return
        if time.monotonic() > deadline:
            msg = f"no answer to the deploy of {automation.automation_id}"
            raise devenv.DevEnvError(msg)
        devenv.log(
            f"No answer to {automation.automation_id}'s deploy yet "
            "(HA AI reloading with remote deploy on?); sending it again"
        )


async def toggle(api: devenv.HassApi, entity_id: str) -> None:
    """Flip an input_boolean, as a person or a program does over REST."""
    await api.call_service("input_boolean", "toggle", {"entity_id": entity_id})


async def sink_context(api: devenv.HassApi) -> str:
    """Return the context id of the sink's last change (the run that made it)."""
    state = await api.request("GET", f"/api/states/{SINK}")
    return str(state["context"]["id"])


async def trace_context(api: devenv.HassApi, automation: BenchAutomation) -> str:
    """Return the context of the automation's one run, from its trace.

    The trace the automation editor shows under Traces (the websocket's
    `trace/list` and `trace/get`) holds the run's context.
    """
    ws = await WebSocketApi.connect(api)
    try:
        where = {"domain": "automation", "item_id": automation.automation_id}
        traces = await ws.result(await ws.send({"type": "trace/list", **where}))
        if len(traces) != 1:
            msg = f"{automation.automation_id} has {len(traces)} traces, not one"
            raise devenv.DevEnvError(msg)
        trace = await ws.result(
            await ws.send({"type": "trace/get", **where, "run_id": traces[0]["run_id"]})
        )
    finally:
        await ws.ws.close()
    return str(trace["context"]["id"])


async def one_run(
    api: devenv.HassApi,
    client: TimedClient,
    automation: BenchAutomation,
    timeout: float,
    *,
    topic: str = EXECUTED_TOPIC,
) -> tuple[float, Arrival]:
    """Flip the automation's trigger; return ms until its run's report arrived."""
    client.drain()
    started = time.perf_counter()
    await toggle(api, automation.trigger_entity)
    try:
        arrival = await client.next(timeout)
    except TimeoutError:
        msg = f"{automation.automation_id}: no run reported within {timeout} s"
        raise devenv.DevEnvError(msg) from None
    payload = arrival.payload
    expected = {
        "automation_id": automation.automation_id,
        "suggestion_id": automation.suggestion_id,
        "trigger": automation.trigger_description,
        "event": "run",
    }
    if arrival.topic != topic or any(
        payload.get(key) != value for key, value in expected.items()
    ):
        msg = (
            f"{automation.automation_id}: expected {expected} on {topic}, got "
            f"{arrival.topic}: {payload}"
        )
        raise devenv.DevEnvError(msg)
    return (arrival.at - started) * 1000, arrival


def record_entry(
    automation: BenchAutomation, arrival: Arrival, run_context: str, latency: float
) -> dict[str, Any]:
    """Return what `--record` keeps of one run: what was sent, what came back."""
    return {
        "latency_ms": round(latency, 3),
        "automation_id": automation.automation_id,
        "suggestion_id": automation.suggestion_id,
        "trigger": automation.trigger_description,
        "run_context": run_context,
        "topic": arrival.topic,
        "payload": arrival.payload,
    }


async def measure_runs(
    env: devenv.Environment, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deploy the automations through HA AI, run them; return figures and record."""
    entry = await devenv.ensure_entries(env.api, env.mqtt_port)
    secret = await enable_remote_deploy(env.api, entry["entry_id"])
    measured = bench_automations(args.automations)
    failing = BenchAutomation(FAILING)
    client = response_client(asyncio.get_running_loop(), env.mqtt_port)
    await client.start()
    latencies: list[float] = []
    record: list[dict[str, Any]] = []
    pacer = BurstPacer(DEFAULT_PER_WINDOW, DEFAULT_WINDOW.total_seconds())
    try:
        devenv.log(f"Deploying {len(measured) + 1} automations by remote command")
        await env.api.wait_entry_loaded("ha_ai", devenv.ENTRY_TIMEOUT)
        for automation in measured:
            await deploy(client, secret, automation)
        await deploy(client, secret, failing, failing=True)
        devenv.log(f"Measuring {args.events} runs of {len(measured)} automations")
        for number in range(args.events):
            automation = measured[number % len(measured)]
            await pacer.before_run(automation.automation_id)
            latency, arrival = await one_run(env.api, client, automation, args.timeout)
            pacer.reported(automation.automation_id, arrival.at)
            latencies.append(latency)
            context = await sink_context(env.api)
            if (run_id := arrival.payload.get("run_id")) != context:
                msg = (
                    f"{automation.automation_id}: run_id {run_id} "
                    f"is not the run's context {context}"
                )
                raise devenv.DevEnvError(msg)
            record.append(record_entry(automation, arrival, context, latency))
        devenv.log("A run that fails")
        failed_latency, failed = await one_run(
            env.api, client, failing, args.timeout, topic=FAILED_TOPIC
        )
        context = await trace_context(env.api, failing)
        if (
            not failed.payload.get("error")
            or failed.payload.get("success") is not False
            or failed.payload.get("run_id") != context
        ):
            msg = f"the failed run (context {context}) came as {failed.payload}"
            raise devenv.DevEnvError(msg)
        record.append(record_entry(failing, failed, context, failed_latency))
    finally:
        client.stop()
    figures = [
        *summary("runs_executed_latency", latencies),
        {"name": "runs_executed_samples", "value": len(latencies), "unit": "runs"},
        {"name": "runs_automations", "value": len(measured), "unit": "automations"},
        {"name": "runs_paced_wait", "value": round(pacer.waited, 1), "unit": "s"},
        {
            "name": "runs_failed_latency",
            "value": round(failed_latency, 3),
            "unit": "ms",
            "error": failed.payload["error"],
        },
    ]
    return figures, record


async def bench(args: argparse.Namespace) -> int:
    """Start the environment, deploy, measure, stop; print the figures."""
    run_dir = run_dir_for("runs-", args.run_dir)
    packages = run_dir / "config" / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    (packages / "bench_runs.yaml").write_text(
        package_yaml([*bench_automations(args.automations), BenchAutomation(FAILING)]),
        encoding="utf-8",
    )
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir, devenv.free_port(), devenv.free_port(), {}, debug=False
        ) as env:
            figures, record = await measure_runs(env, args)
        if args.record is not None:
            args.record.write_text(json.dumps(record, indent=1), encoding="utf-8")
        for figure in figures:
            emit(figure)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the measurement."""
    parser = argparse.ArgumentParser(
        prog="bench_runs.py",
        description="Time an HA AI automation's run to its report at an MQTT client.",
    )
    add_measure_options(parser, events="runs measured", each="report")
    parser.add_argument(
        "--automations",
        type=positive(int),
        default=AUTOMATIONS,
        help="automations taken in turn (default %(default)s: 200 runs stay "
        f"within {DEFAULT_PER_WINDOW} reports a minute each)",
    )
    add_run_dir_options(parser)
    parser.add_argument(
        "--record",
        type=Path,
        help="write each run's automation, trigger and report to this JSON file",
    )
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
