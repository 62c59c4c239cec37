"""benchmarks/real_household_routines.py run as a script, on a made-up house."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).parents[3]
BENCH = "benchmarks.real_household_routines"
PACIFIC = ZoneInfo("America/Los_Angeles")
START = date(2024, 3, 4)
DAYS = 10


def run(houses: Path, casas: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["HA_AI_REAL_HOUSES"] = str(houses)
    env["HA_AI_CASAS"] = str(casas)
    return subprocess.run(
        [sys.executable, "-m", BENCH],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
        text=True,
    )


def moment(day: int, minute: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), time(0), tzinfo=PACIFIC) + (
        timedelta(minutes=minute)
    )


def write_house(houses: Path, casas: Path) -> None:
    """Out through the front door from 09:00 to 12:00 every day, else moving about.

    Asleep from 23:00 to 07:00, up for the bathroom at 03:00. The converted CSV,
    and the raw recording with its annotations.
    """
    rows = ["entity_id,state,last_changed"]
    raw: list[str] = []

    def add(
        day: int, minute: int, entity: str, sensor: str, on: bool, label: str
    ) -> None:
        when = moment(day, minute)
        stamp = when.astimezone(UTC).isoformat(timespec="milliseconds")
        rows.append(f"{entity},{'on' if on else 'off'},{stamp.replace('+00:00', 'Z')}")
        value = ("OPEN" if on else "CLOSE") if "Door" in sensor else "ON"
        raw.append(f"{when:%Y-%m-%d %H:%M:%S}.000000 {sensor} {value} {label}")

    door = "binary_sensor.outside_door_front_door"
    motion = "binary_sensor.kitchen_kitchen_motion"
    bedroom = "binary_sensor.bedroom_bedroom_motion"
    bathroom = "binary_sensor.bathroom_bathroom_motion"
    for day in range(DAYS):
        for minute in range(7 * 60, 23 * 60, 10):
            if 9 * 60 <= minute < 12 * 60:
                continue
            add(day, minute, motion, "Kitchen Kitchen", True, "Other_Activity")
            add(day, minute + 1, motion, "Kitchen Kitchen", False, "Other_Activity")
        add(day, 9 * 60 + 1, door, "OutsideDoor FrontDoor", True, "Leave_Home")
        add(day, 9 * 60 + 2, door, "OutsideDoor FrontDoor", False, "Leave_Home")
        add(day, 12 * 60 - 2, door, "OutsideDoor FrontDoor", True, "Enter_Home")
        add(day, 12 * 60 - 1, door, "OutsideDoor FrontDoor", False, "Enter_Home")
        if day < DAYS - 1:
            night = (
                (23 * 60, bedroom, "Bedroom Bedroom", "Sleep"),
                (27 * 60, bedroom, "Bedroom Bedroom", "Bed_Toilet_Transition"),
                (27 * 60 + 2, bathroom, "Bathroom Bathroom", "Bed_Toilet_Transition"),
                (27 * 60 + 8, bedroom, "Bedroom Bedroom", "Sleep"),
            )
            for minute, entity, sensor, label in night:
                add(day, minute, entity, sensor, True, label)
                add(day, minute + 1, entity, sensor, False, label)
    houses.mkdir()
    (houses / "demo.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (casas / "demo").mkdir(parents=True)
    raw.sort()
    (casas / "demo" / "data").write_text("\n".join(raw) + "\n", encoding="utf-8")


def test_without_data_it_says_so_and_measures_nothing(tmp_path: Path) -> None:
    result = run(tmp_path / "missing", tmp_path / "missing")
    assert result.returncode == 0
    assert result.stdout == ""
    assert "nothing measured" in result.stderr


def test_a_made_up_house_is_scored_against_its_annotations(tmp_path: Path) -> None:
    write_house(tmp_path / "houses", tmp_path / "casas")
    result = run(tmp_path / "houses", tmp_path / "casas")
    assert result.returncode == 0, result.stderr
    figures = {
        line["name"]: line["value"]
        for line in map(json.loads, result.stdout.splitlines())
    }
    assert figures["real_demo_away_learned"] == 1
    assert figures["real_demo_away_true"] == DAYS
    assert figures["real_demo_away_found"] == DAYS
    assert figures["real_demo_away_precision"] == 1.0
    assert figures["real_demo_away_recall"] == 1.0
    assert figures["real_demo_away_recall_long"] == 1.0
    # Its first week too; it is not 14 days long.
    assert figures["real_demo_7d_away_learned"] == 1
    assert figures["real_demo_7d_away_true"] == 7
    assert figures["real_demo_7d_away_found"] == 7
    assert figures["real_demo_7d_away_recall"] == 1.0
    assert "real_demo_14d_away_learned" not in figures
    # Each night as annotated, the 03:00 trip to the bathroom inside it.
    assert figures["real_demo_night_days"] == DAYS - 1
    assert figures["real_demo_night_days_without"] == 0
    assert figures["real_demo_night_wake_median_abs_minutes"] == 0
    assert figures["real_demo_night_bedtime_median_abs_minutes"] == 0
    assert "outside_door_front_door" in result.stderr
