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

import json
from pathlib import Path
from typing import Any

from .real_ha import real_ha_marks, run_module

RUN_TIMEOUT = 300

pytestmark = real_ha_marks(
    "the write check is covered by test_mqtt_write_check.py", "mosquitto_passwd"
)


def run_scenario(tmp_path: Path) -> dict[str, Any]:
    """Run the scenario as a child process; return its report."""
    out = run_module(
        "scripts.locked_broker", "--run-dir", str(tmp_path / "run"), timeout=RUN_TIMEOUT
    )
    report: dict[str, Any] = json.loads(out.splitlines()[-1])
    return report


def test_ha_ai_works_under_a_locked_down_broker(tmp_path: Path) -> None:
    report = run_scenario(tmp_path)

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
