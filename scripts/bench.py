"""Measure HA AI end to end against a real Home Assistant and mosquitto.

The figure that matters to a consumer is how long an event takes from the
``ha_ai.publish_event`` service call to an MQTT client outside Home
Assistant, so that is what is timed: a websocket ``call_service`` message, the
integration, Home Assistant's MQTT client, mosquitto on loopback, and a paho
subscriber. The environment is the one ``scripts/develop`` runs (same
helpers), in a throw-away directory under ``.bench/``.

stdout carries one JSON object per figure and nothing else, so results can be
collected by machines; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from scripts import bench_cameras, bench_pairing, devenv
from scripts.devenv.hass_api import WebSocketApi

EVENT_TOPIC = "ha-ai/events/#"
BENCH_PATH = "bench/latency"
BENCH_TOPIC = f"ha-ai/events/{BENCH_PATH}"
BENCH_DIR = devenv.REPO_ROOT / ".bench"


class Subscriber:
    """An external MQTT client that timestamps the benchmark's events.

    paho runs its network loop in its own thread; the timestamp is taken right
    there in on_message, before any hop to the asyncio loop, so thread
    switching is not counted as latency.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, port: int) -> None:
        """Prepare a client for the broker on loopback ``port``."""
        self.loop = loop
        self.port = port
        self.subscribed = asyncio.Event()
        self.waiters: dict[int, asyncio.Future[float]] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="ha-ai-bench", clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    async def start(self, timeout: float = 10) -> None:
        """Connect, subscribe to the event topics and wait for the SUBACK."""
        self.client.connect(devenv.LOOPBACK, self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.subscribed.wait(), timeout)

    def stop(self) -> None:
        """Disconnect and join paho's network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def expect(self, seq: int) -> asyncio.Future[float]:
        """Return a future for the arrival time of the event carrying ``seq``."""
        future = self.loop.create_future()
        self.waiters[seq] = future
        return future

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:  # noqa: ANN401
        client.subscribe(EVENT_TOPIC, qos=1)

    def _on_subscribe(self, *_: Any) -> None:  # noqa: ANN401
        self.loop.call_soon_threadsafe(self.subscribed.set)

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        arrived = time.perf_counter()
        if message.topic != BENCH_TOPIC:
            return
        seq = json.loads(message.payload).get("seq")
        self.loop.call_soon_threadsafe(self._resolve, seq, arrived)

    def _resolve(self, seq: int, arrived: float) -> None:
        future = self.waiters.pop(seq, None)
        if future is not None and not future.done():
            future.set_result(arrived)


async def publish_once(
    ws: WebSocketApi, subscriber: Subscriber, seq: int, timeout: float
) -> tuple[float, float]:
    """Call the service for ``seq``; return delivery and call latencies in ms."""
    arrival = subscriber.expect(seq)
    started = time.perf_counter()
    message_id = await ws.send(
        {
            "type": "call_service",
            "domain": "ha_ai",
            "service": "publish_event",
            "service_data": {"path": BENCH_PATH, "payload": {"seq": seq}},
        }
    )
    try:
        step = "service call not answered"
        await asyncio.wait_for(ws.result(message_id), timeout)
        answered = time.perf_counter()
        step = "event not delivered"
        arrived = await asyncio.wait_for(arrival, timeout)
    except TimeoutError:
        subscriber.waiters.pop(seq, None)
        msg = f"seq {seq}: {step} within {timeout} s"
        raise devenv.DevEnvError(msg) from None
    return (arrived - started) * 1000, (answered - started) * 1000


def summary(name: str, samples: list[float]) -> list[dict[str, Any]]:
    """Turn latency samples (ms) into p50/p95/max/mean figures."""
    p95 = max(samples)
    if len(samples) > 1:
        p95 = statistics.quantiles(samples, n=100, method="inclusive")[94]
    figures = {
        "p50": statistics.median(samples),
        "p95": p95,
        "max": max(samples),
        "mean": statistics.fmean(samples),
    }
    return [
        {"name": f"{name}_{key}", "value": round(value, 3), "unit": "ms"}
        for key, value in figures.items()
    ]


def emit(figure: dict[str, Any]) -> None:
    """Print one figure as a JSON line on stdout."""
    print(json.dumps(figure), flush=True)


async def measure_publish_latency(
    env: devenv.Environment, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Time ``args.events`` service calls to delivery, after a warm-up.

    Besides delivery at the subscriber, the websocket round trip of each call
    is timed too (``service_call_*``): comparing both shows whether delivery
    waits for the service call to return, or overtakes it.
    """
    subscriber = Subscriber(asyncio.get_running_loop(), env.mqtt_port)
    await subscriber.start()
    try:
        ws = await WebSocketApi.connect(env.api)
        delivered: list[float] = []
        answered: list[float] = []
        devenv.log(f"Warm-up: {args.warmup} events")
        for seq in range(-args.warmup, 0):
            await publish_once(ws, subscriber, seq, args.timeout)
        devenv.log(f"Measuring {args.events} events")
        for seq in range(args.events):
            delivery, call = await publish_once(ws, subscriber, seq, args.timeout)
            delivered.append(delivery)
            answered.append(call)
        await ws.ws.close()
    finally:
        subscriber.stop()
    return [
        *summary("publish_latency", delivered),
        *summary("service_call", answered),
        {"name": "publish_latency_samples", "value": len(delivered), "unit": "events"},
    ]


async def bench(args: argparse.Namespace) -> int:
    """Start a throw-away environment, run the measurements, stop everything."""
    BENCH_DIR.mkdir(exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=BENCH_DIR))
    succeeded = False
    try:
        async with devenv.environment(
            run_dir,
            devenv.free_port(),
            devenv.free_port(),
            {},
            debug=False,
        ) as env:
            await devenv.ensure_entries(env.api, env.mqtt_port)
            if args.cameras:
                figures = await bench_cameras.measure_cameras(env, summary)
            elif args.pairing:
                figures = await bench_pairing.measure_pairing(env, args.pairing)
            else:
                figures = await measure_publish_latency(env, args)
        for figure in figures:
            emit(figure)
        succeeded = True
    except asyncio.CancelledError:
        succeeded = True  # stopped on purpose: nothing to investigate
        raise
    finally:
        if succeeded and not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            devenv.log(f"Logs kept in {run_dir}")
    return 0


def run_dir_for(prefix: str, given: Path | None) -> Path:
    """Return where a bench runs Home Assistant: `given`, or a new folder in .bench/."""
    if given is None:
        BENCH_DIR.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=BENCH_DIR))
    given.mkdir(parents=True, exist_ok=True)
    return given


@contextlib.contextmanager
def kept_when_failed(run_dir: Path, *, keep: bool) -> Iterator[None]:
    """Remove the run folder after a run that worked (unless `keep`).

    After a failure its logs are what there is to read: the folder stays, and
    the log line says where.
    """
    succeeded = False
    try:
        yield
        succeeded = True
    finally:
        if succeeded and not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            devenv.log(f"Logs kept in {run_dir}")


def add_run_dir_options(parser: argparse.ArgumentParser) -> None:
    """Add `--keep` and `--run-dir`, the options of every real-HA bench."""
    parser.add_argument(
        "--keep", action="store_true", help="keep the run directory under .bench/"
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        help="run Home Assistant and mosquitto here (default: a new one under .bench/)",
    )


def add_measure_options(
    parser: argparse.ArgumentParser, *, events: str, each: str
) -> None:
    """Add `--events` and `--timeout`, the options of every timed real-HA bench.

    `events` says what is counted ("runs measured"), `each` what each one waits
    for ("report").
    """
    parser.add_argument(
        "--events",
        type=positive(int),
        default=200,
        help=f"{events} (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=5.0,
        help=f"seconds to wait for each {each} (default %(default)s)",
    )


def positive(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """Build an argparse type that only accepts values above zero."""

    def parse(text: str) -> Any:  # noqa: ANN401 - whatever ``convert`` returns
        value = convert(text)
        if value <= 0:
            msg = f"must be above zero: {text}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    """Parse the bench command line and run it."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Measure HA AI; one JSON line per figure on stdout.",
    )
    parser.add_argument(
        "--events",
        type=positive(int),
        default=500,
        help="measured events (default %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="events sent first and not counted (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=5.0,
        help="seconds to wait for each delivery (default %(default)s)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the run directory under .bench/"
    )
    parser.add_argument(
        "--cameras",
        action="store_true",
        help="measure AI camera events (rate for 20 cameras, latency) instead",
    )
    parser.add_argument(
        "--pairing",
        type=positive(int),
        metavar="DEVICES",
        help="measure a pairing burst of DEVICES devices instead "
        f"(scripts/bench --only pairing: {bench_pairing.PAIRING_DEVICES})",
    )
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
