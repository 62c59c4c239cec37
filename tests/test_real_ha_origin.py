"""End to end: who made each change, on a real Home Assistant with a real mosquitto.

`python -m scripts.bench_origin` starts one Home Assistant process with HA AI (as
`scripts/develop` does) and runs every case at once: automations triggered by
time, sun, MQTT and state; HA AI's own time-of-day routine in automations.yaml;
a Zigbee2MQTT-like light answering 0.2, 4.5, 5.5 and 12 s after the command; a
light switched off at the wall right after an automation dimmed it; a script and
a switch a person uses. It then moves the recorder's rows days back and lets HA
AI back-fill its emptied log across day boundaries. This test runs it as a child
process (its own sockets and threads) and checks each case's label, live and
back-filled.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from scripts import bench_origin, devenv

from .broker import skip_without

ROOT = Path(__file__).resolve().parent.parent

RUN_TIMEOUT = 300

pytestmark = [
    skip_without("mosquitto"),
    pytest.mark.skipif(
        sys.version_info[:3] < REQUIRED_PYTHON_VER,
        reason="this Home Assistant's hass refuses to start on this Python; "
        "the cases are covered by test_change_origin.py and test_habit_backfill.py",
    ),
    pytest.mark.skipif(
        bool(devenv.missing_requirements(devenv.runtime_requirements())),
        reason="a real Home Assistant needs its frontend package "
        "(scripts/bench or scripts/develop installs it)",
    ),
]


async def test_every_case_is_labelled_as_its_maker_live_and_backfilled(
    tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.bench_origin",
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
    results = json.loads(out)
    expected = {case.name: case.expected.name for case in bench_origin.CASES}
    assert results["live"] == expected
    assert results["backfill"] == expected
    # What the parent-only rule said of the same changes: most were wrong.
    automation_made = [case.name for case in bench_origin.CASES if case.automation_made]
    assert sum(results["parent_only"][name] == "MANUAL" for name in automation_made) > (
        len(automation_made) / 2
    )
