"""End to end: a person leaving and coming back, announced to an outside MQTT client.

`python -m scripts.bench_household` gives HA AI's log four weeks of a person
leaving every morning and back every evening, starts one Home Assistant process
with HA AI and a real mosquitto (as `scripts/develop` does), lets the analysis
learn the away routine, then sets the person away and home through the REST API
and waits for `away_from_home` and `back_home` at an outside paho client. This
test runs a short one as a child process (its own sockets and threads) and checks
that every event arrived, each started by the person, and that the figures come out.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from scripts import devenv

from .broker import skip_without

ROOT = Path(__file__).resolve().parent.parent

CYCLES = 5
RUN_TIMEOUT = 300

pytestmark = [
    skip_without("mosquitto"),
    pytest.mark.skipif(
        sys.version_info[:3] < REQUIRED_PYTHON_VER,
        reason="this Home Assistant's hass refuses to start on this Python; "
        "the household's live events are covered by test_household_live.py",
    ),
    pytest.mark.skipif(
        bool(devenv.missing_requirements(devenv.runtime_requirements())),
        reason="a real Home Assistant needs its frontend package "
        "(scripts/bench or scripts/develop installs it)",
    ),
]


async def test_leaving_and_coming_back_reach_an_outside_client(
    tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.bench_household",
        "--events",
        str(CYCLES),
        "--run-dir",
        str(tmp_path / "run"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        # Not measured by pytest-cov: Home Assistant runs at its own speed.
        env={k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")},
    )
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]
    figures = {
        figure["name"]: figure for figure in map(json.loads, out.decode().splitlines())
    }
    assert figures["household_away_event_samples"]["value"] == CYCLES
    for kind in ("away", "back_home"):
        for key in ("p50", "p95", "max", "mean"):
            figure = figures[f"household_{kind}_event_latency_{key}"]
            assert figure["unit"] == "ms"
            assert figure["value"] > 0
