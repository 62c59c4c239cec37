"""The demo house of `scripts/develop`, started on a fresh directory and checked.

`scripts/develop --check` is what a new developer's first command does, plus
the checks of everything the demo house promises: the Zigbee2MQTT stand-in's
twenty devices seen and a light that follows `light.turn_on`, the two teams
followed, the first analysis of the planted household (each routine and pair
suggested with its automation, the weekend routine, the forming one not
suggested, the automation's changes not counted), both stand-in cameras
counted, an empty Repairs page and no notification but HA AI's own (the
discovered offer taken, as a user would). It exits 0 only when every check passed;
this test runs it in a directory of its own and reads its banner.
"""

from __future__ import annotations

import random
from pathlib import Path

from .real_ha import real_ha_marks, run_module

RUN_TIMEOUT = 300

pytestmark = real_ha_marks(
    "the demo's parts are covered by test_demo_history.py, test_demo_guide.py, "
    "test_camera_standin.py and test_zigbee2mqtt_stand_in.py"
)


def test_a_fresh_demo_house_passes_every_check(tmp_path: Path) -> None:
    # A port of its own, out of the way of a developer's scripts/develop (8123).
    port = str(random.randint(20000, 40000))  # noqa: S311 - not a secret
    banner = run_module(
        "scripts.devenv",
        "--check",
        "--dir",
        str(tmp_path / "demo"),
        "--port",
        port,
        timeout=RUN_TIMEOUT,
    )
    assert "What to try:" in banner
    assert "Open the card: http://127.0.0.1:" in banner
    assert "scripts/camera-event --port" in banner
    assert "sensor.ha_ai_zigbee_devices = 20" in banner
    assert "weekend routine switch.kitchen_plug on at 08:40 weekends" in banner
    assert "forming routine light.bedroom_lamp on at 21:30 (not suggested)" in banner
    assert "No repairs, and no notifications but HA AI's own" in banner
    assert "CHECK FAILED" not in banner
