"""Faults on a real Home Assistant and a real broker: nothing lost, nothing done twice.

`python -m scripts.faults <fault>` starts one Home Assistant process with HA AI
and a real mosquitto (as `scripts/develop` does), fills every part of HA AI,
causes the fault and checks what a user's tools see (REST, websocket, outside
MQTT clients); see its docstring. These tests run each fault as a child process
(its own sockets and threads) and check the facts it reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .real_ha import json_lines, real_ha_marks, run_module

RUN_TIMEOUT = 300

pytestmark = real_ha_marks(
    "damaged stores are covered by test_stores.py, outages by test_mqtt_bus.py"
)


def run_fault(fault: str, tmp_path: Path) -> dict[str, Any]:
    """Run one fault as a child process; return its facts by name."""
    out = run_module(
        "scripts.faults",
        fault,
        "--run-dir",
        str(tmp_path / "run"),
        timeout=RUN_TIMEOUT,
    )
    return {fact["name"]: fact["value"] for fact in json_lines(out)}


def test_a_broker_restart_loses_no_event_and_applies_none_twice(
    tmp_path: Path,
) -> None:
    facts = run_fault("broker", tmp_path)

    assert facts["broker_events_arrived"] == facts["broker_events_expected"] == 40
    assert facts["broker_events_expired_sent"] == 0
    # At least once: the events HA AI had handed over when the link dropped (at
    # most its publish window) may come twice; receivers drop them by event_id.
    assert facts["broker_event_copies_from_ha"] <= 10
    assert facts["broker_camera_events_counted"] == 20
    assert facts["broker_camera_events_sent"] == 20
    assert facts["broker_deploys"] == 1
    assert facts["broker_deploy_answers"] == [
        "ha-ai/responses/automation/executed",
        "ha-ai/responses/automation/failed",
    ]


def test_a_home_assistant_restart_keeps_what_ha_ai_learned(
    tmp_path: Path,
) -> None:
    facts = run_fault("restart", tmp_path)

    assert facts["restart_entities_changed"] == 0
    assert facts["restart_entities_compared"] > 20
    assert facts["restart_suggestions_compared"] > 0
    # The camera's five events, sent again after the restart, still count five.
    assert facts["restart_camera_events_after_resend"] == 5
    assert facts["restart_analyses_before"] == 1
    assert facts["restart_analyses_after"] == 1
    assert facts["restart_habit_log_lines"] > 0
    assert facts["restart_habit_log_lines_lost"] == 0
    assert facts["restart_team_sensors"] == ["sensor.fault_crew_game"]


def test_each_damaged_store_is_set_aside_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    facts = run_fault("stores", tmp_path)

    damaged = facts["stores_damaged"]
    # Every store HA AI keeps, each damaged once.
    assert damaged == [
        "ha_ai.automation_health",
        "ha_ai.cameras",
        "ha_ai.deployments",
        "ha_ai.habits",
        "ha_ai.household",
        "ha_ai.remote_commands",
        "ha_ai.sports",
        "ha_ai.suggestions",
        "ha_ai.zigbee",
        "ha_ai.zigbee_insights",
    ]
    assert facts["stores_fresh_parts"] == [
        "ha_ai.cameras",
        "ha_ai.habits",
        "ha_ai.zigbee",
    ]
    rounds = [facts["stores_round_1"], facts["stores_round_2"]]
    assert sorted(key for r in rounds for key in r["damaged"]) == damaged
    for found in rounds:
        # A repair for each: HA AI's own, or Home Assistant's for invalid JSON.
        for key in found["damaged"]:
            assert any(key in issue for issue in found["issues"])
