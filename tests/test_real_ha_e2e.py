"""End to end: HA AI in a real Home Assistant, as a user's tools drive it.

`python -m scripts.bench_e2e` starts one `hass` process and a real mosquitto
and goes through HA AI over Home Assistant's REST and websocket APIs and the
broker only, one JSON line per step (see its docstring): onboarding, the mqtt
and ha_ai entries through their config flows, a Zigbee2MQTT device list, AI
camera events, the first analysis of a planted history and one run on demand,
a user's MQTT-triggered automation fed by HA AI's event, a suggestion accepted
and its automation run, a signed remote deploy, a TeamTracker game. It runs
once for this module (one Home Assistant), with a few timed events; each test
checks one step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from .real_ha import json_lines, real_ha_marks, run_module
from .test_real_ha_sports import SEAHAWKS_GAME

EVENTS = 5
RUN_TIMEOUT = 300
DOOR = "input_boolean.e2e_door"
HALL = "input_boolean.e2e_hall"
# The planted history: the coffee machine's morning routine, and the hall light
# following the door (scripts/bench_e2e.py, planted_history).
PLANTED_PATTERNS = 2
PLANTED_ENTITIES = 3
STEPS = [
    "onboarding",
    "mqtt_entry",
    "ha_ai_entry",
    "first_analysis",
    "zigbee",
    "cameras",
    "user_automation",
    "accept_suggestion",
    "remote_deploy",
    "run_analysis",
    "sports",
    "trigger_latency",
]

pytestmark = real_ha_marks(
    "each part is covered in Home Assistant's harness by its own tests"
)

Steps = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> Steps:
    """Run the scenario once; return what each step saw, by step."""
    out = run_module(
        "scripts.bench_e2e",
        "--events",
        str(EVENTS),
        "--run-dir",
        str(tmp_path_factory.mktemp("e2e") / "run"),
        timeout=RUN_TIMEOUT,
    )
    return {line.pop("step"): line for line in json_lines(out)}


def check_run(report: dict[str, Any], automation_id: str) -> None:
    """Check a run report of an automation HA AI deployed."""
    assert report["event"] == "run"
    assert report["automation_id"] == automation_id
    assert report["success"] is True
    assert report["error"] is None
    assert report["run_id"]


def test_every_step_in_order(steps: Steps) -> None:
    assert list(steps) == STEPS


def test_onboarding_and_both_entries_through_their_flows(steps: Steps) -> None:
    onboarding = steps["onboarding"]
    assert onboarding["onboarded_now"] is True
    assert onboarding["steps"] == {
        "user": True,
        "core_config": True,
        "analytics": True,
        "integration": True,
    }
    assert steps["mqtt_entry"]["state"] == "loaded"
    assert steps["ha_ai_entry"] == {"state": "loaded", "title": "HA AI"}


def test_the_first_analysis_finds_the_planted_habits(steps: Steps) -> None:
    # HA AI analyses the history of a new installation by itself.
    first = steps["first_analysis"]["complete"]
    assert first["patterns_detected"] == PLANTED_PATTERNS
    assert first["patterns_established"] == PLANTED_PATTERNS
    assert first["patterns_forming"] == 0
    assert first["suggestions_generated"] == PLANTED_PATTERNS
    assert first["new_suggestions"] == PLANTED_PATTERNS
    assert first["entities_analyzed"] == PLANTED_ENTITIES
    assert first["source"] == "ha_ai"


def test_the_device_list_makes_device_and_capability_sensors(steps: Steps) -> None:
    zigbee = steps["zigbee"]
    assert zigbee["devices"] == str(zigbee["end_devices"])
    assert zigbee["bridge"] == "on"
    assert float(zigbee["unused_capabilities"]) > 0
    assert any(zigbee["opportunities"])


def test_camera_events_make_cameras_and_count(steps: Steps) -> None:
    # Three events of the front door (the first a ring), one of the garden (a ring).
    cameras = steps["cameras"]["cameras"]
    assert cameras["e2e_front_door"] == {
        "events_today": 3,
        "detection": "detected",
        "recent_activity": "on",
        "last_description": "A person, event 3",
    }
    assert cameras["e2e_garden"] == {
        "events_today": 1,
        "detection": "doorbell",
        "recent_activity": "on",
        "last_description": "A person, event 1",
    }


def test_a_users_mqtt_triggered_automation_hears_ha_ai(steps: Steps) -> None:
    user = steps["user_automation"]
    assert user["entity_id"].startswith("automation.")
    assert user["answer"]["seq"] == 0
    # The envelope's fields reach the automation's trigger.
    assert user["answer"]["event_id"] == user["event_id"]
    published_at = datetime.fromisoformat(user["answer"]["published_at"])
    assert published_at <= datetime.fromisoformat(user["answer"]["ran_at"])
    assert user["last_triggered"] is not None


def test_an_accepted_suggestion_is_deployed_and_runs(steps: Steps) -> None:
    accepted = steps["accept_suggestion"]
    suggestion = accepted["suggestion"]
    assert suggestion["kind"] == "used_together"
    assert suggestion["entities"] == [DOOR, HALL]
    automation_id = accepted["accepted"]["automation_id"]
    assert accepted["accepted"]["status"] == "deployed"
    deployed = accepted["deployed"]
    assert deployed["automation_id"] == automation_id
    assert deployed["suggestion_id"] == suggestion["suggestion_id"]
    assert deployed["success"] is True
    assert "event" not in deployed
    assert accepted["entity_id"].startswith("automation.")
    check_run(accepted["run"], automation_id)
    assert accepted["run"]["suggestion_id"] == suggestion["suggestion_id"]
    assert accepted["run"]["trigger"] == f"state of {DOOR}"
    assert accepted["hall"] == "on"


def test_a_signed_remote_deploy_is_executed_and_runs(steps: Steps) -> None:
    remote = steps["remote_deploy"]
    assert remote["entity_id"] == f"automation.{remote['automation_id']}"
    check_run(remote["run"], remote["automation_id"])


def test_an_analysis_on_demand_finds_nothing_new(steps: Steps) -> None:
    # The same patterns; the pair's suggestion was accepted meanwhile.
    analysis = steps["run_analysis"]
    assert analysis["response"]["patterns_detected"] == PLANTED_PATTERNS
    again = analysis["complete"]
    assert again["patterns_detected"] == PLANTED_PATTERNS
    assert again["patterns_established"] == PLANTED_PATTERNS
    assert again["new_suggestions"] == 0
    assert again["suggestions_generated"] == 1
    assert again["devices_analyzed"] == steps["zigbee"]["end_devices"]
    assert again["entities_analyzed"] >= PLANTED_ENTITIES
    assert analysis["open_suggestions"] == 1


def test_a_game_played_is_announced_moment_by_moment(steps: Steps) -> None:
    sports = steps["sports"]
    moments = sports["moments"]
    assert [
        (m["moment"], m["team_score"], m["opponent_score"], m["points"])
        for m in moments
    ] == SEAHAWKS_GAME
    assert [m["topic"] for m in moments] == [
        f"{sports['team_topic']}/{m['moment']}" for m in moments
    ]
    assert len({m["game_id"] for m in moments}) == 1


def test_the_trigger_latency_is_measured(steps: Steps) -> None:
    figures = {f["name"]: f for f in steps["trigger_latency"]["figures"]}
    assert figures["trigger_samples"]["value"] == EVENTS
    for name in ("trigger_automation_latency", "trigger_round_trip"):
        for key in ("p50", "p95", "max", "mean"):
            assert figures[f"{name}_{key}"]["unit"] == "ms"
            assert figures[f"{name}_{key}"]["value"] > 0
