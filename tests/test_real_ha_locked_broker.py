"""End to end: HA AI under a locked-down mosquitto (no anonymous clients, an ACL).

`python -m scripts.locked_broker` runs a real Home Assistant with HA AI against
a mosquitto with `allow_anonymous false`, a password file and the ACL of
`scripts/devenv/broker_acl.py` (the README's snippet), in two acts: first the
ACL refuses Home Assistant's writes under `ha-ai/`, then the broker restarts
with the full ACL. This test runs it as a child process (its own sockets and
threads) and checks its report: refused, HA AI says so once and otherwise works;
allowed, everything reaches its reader and the deployer cannot forge an event.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from scripts import devenv

from .broker import skip_without

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 300

pytestmark = [
    skip_without("mosquitto", "mosquitto_passwd"),
    pytest.mark.skipif(
        sys.version_info[:3] < REQUIRED_PYTHON_VER,
        reason="this Home Assistant's hass refuses to start on this Python; "
        "the write check is covered by test_mqtt_write_check.py",
    ),
    pytest.mark.skipif(
        bool(devenv.missing_requirements(devenv.runtime_requirements())),
        reason="a real Home Assistant needs its frontend package "
        "(scripts/bench or scripts/develop installs it)",
    ),
]


async def run_scenario(tmp_path: Path) -> dict[str, Any]:
    """Run the scenario as a child process; return its report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.locked_broker",
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
    report: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return report


async def test_ha_ai_works_under_a_locked_down_broker(tmp_path: Path) -> None:
    report = await run_scenario(tmp_path)

    refused = report["refused"]
    assert "WARNING" in refused["warning"]
    assert "`topic write ha-ai/#` and `topic read ha-ai/probe`" in refused["warning"]
    assert "mqtt_writes_refused" in refused["issues"]
    # Otherwise HA AI works: what it reads, and the commands it is sent.
    assert refused["zigbee_devices"] == 4
    assert refused["camera_events"] == 3
    assert refused["deployed"] == "bench_runs_refused"
    assert refused["answers"] == []  # its answers never left the broker

    allowed = report["allowed"]
    assert "mqtt_writes_refused" not in allowed["issues"]
    assert allowed["warnings_after_fix"] == 1  # said once, not again
    analysis = allowed["analysis"]
    assert analysis["topic"] == "ha-ai/analysis/complete"
    assert analysis["payload"]["source"] == "ha_ai"
    assert "patterns_detected" in analysis["payload"]
    assert allowed["deployed"] == "bench_runs_allowed"
    light = allowed["light_command"]
    assert light["topic"] == "zigbee2mqtt/Living room/TV light/set"
    assert light["payload"]["state"] == "ON"
    assert allowed["forged_reached_listener"] == []
