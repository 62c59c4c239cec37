"""End to end: an automation HA AI deployed runs, and an outside client hears of it.

`python -m scripts.bench_runs` starts one Home Assistant process with HA AI and
a real mosquitto (as `scripts/develop` does), switches remote deploy on in the
entry's options, has HA AI deploy automations by signed commands over MQTT,
then toggles each automation's `input_boolean` through the REST API and waits
for `<prefix>/responses/automation/executed` at an outside paho client; one
automation whose action fails must come as `.../failed`. This test runs a short
one as a child process (its own sockets and threads), with fewer automations
than runs so that each automation runs more than once, and checks every report
it recorded and that the figures come out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .real_ha import figures_by_name, real_ha_marks, run_module

RUNS = 8
AUTOMATIONS = 3
RUN_TIMEOUT = 300
EXECUTED = "ha-ai/responses/automation/executed"
FAILED = "ha-ai/responses/automation/failed"

pytestmark = real_ha_marks(
    "runs of deployed automations are covered by test_automation_runs.py"
)


def run_bench(tmp_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the bench as a child process; return its figures by name and its record."""
    record = tmp_path / "record.json"
    out = run_module(
        "scripts.bench_runs",
        "--events",
        str(RUNS),
        "--automations",
        str(AUTOMATIONS),
        "--run-dir",
        str(tmp_path / "run"),
        "--record",
        str(record),
        timeout=RUN_TIMEOUT,
    )
    figures = figures_by_name(out)
    return figures, json.loads(record.read_text(encoding="utf-8"))


def test_runs_of_deployed_automations_reach_an_outside_client(
    tmp_path: Path,
) -> None:
    figures, record = run_bench(tmp_path)

    *runs, failed = record
    assert len(runs) == RUNS
    # Taken in turn: every automation ran, and more than once.
    ran = [run["automation_id"] for run in runs]
    assert ran == [f"bench_runs_{n % AUTOMATIONS + 1:02d}" for n in range(RUNS)]
    for run in runs:
        report = run["payload"]
        assert run["topic"] == EXECUTED
        assert report["event"] == "run"
        assert report["success"] is True
        assert report["error"] is None
        assert report["automation_id"] == run["automation_id"]
        assert report["suggestion_id"] == run["suggestion_id"]
        assert report["trigger"] == run["trigger"]
        assert report["trigger"] == (
            "state of input_boolean.bench_runs_trigger_"
            + run["automation_id"].removeprefix("bench_runs_")
        )
        # The run's own context: the one its action's state change carries.
        assert report["run_id"] == run["run_context"]
        assert report["execution_time_ms"] >= 0
    assert len({run["payload"]["run_id"] for run in runs}) == RUNS

    report = failed["payload"]
    assert failed["topic"] == FAILED
    assert report["event"] == "run"
    assert report["success"] is False
    assert report["automation_id"] == failed["automation_id"] == "bench_runs_failing"
    assert report["suggestion_id"] == failed["suggestion_id"]
    assert report["trigger"] == failed["trigger"]
    assert report["run_id"] == failed["run_context"]
    assert "input_number.bench_runs_level" in report["error"]

    assert figures["runs_executed_samples"]["value"] == RUNS
    assert figures["runs_automations"]["value"] == AUTOMATIONS
    for key in ("p50", "p95", "max", "mean"):
        figure = figures[f"runs_executed_latency_{key}"]
        assert figure["unit"] == "ms"
        assert figure["value"] > 0
    assert figures["runs_failed_latency"]["value"] > 0
    assert figures["runs_failed_latency"]["error"] == report["error"]
