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

import json
from pathlib import Path

from scripts import bench_origin

from .real_ha import real_ha_marks, run_module

RUN_TIMEOUT = 300

pytestmark = real_ha_marks(
    "the cases are covered by test_change_origin.py and test_habit_backfill.py"
)


def test_every_case_is_labelled_as_its_maker_live_and_backfilled(
    tmp_path: Path,
) -> None:
    out = run_module(
        "scripts.bench_origin",
        str(tmp_path / "run"),
        timeout=RUN_TIMEOUT,
    )
    results = json.loads(out)
    expected = {case.name: case.expected.name for case in bench_origin.CASES}
    assert results["live"] == expected
    assert results["backfill"] == expected
    # What the parent-only rule said of the same changes: most were wrong.
    automation_made = [case.name for case in bench_origin.CASES if case.automation_made]
    assert sum(results["parent_only"][name] == "MANUAL" for name in automation_made) > (
        len(automation_made) / 2
    )
