"""scripts/real_history.py: smart-home recordings become History panel CSVs."""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

SCRIPT = Path(__file__).parents[3] / "scripts" / "real_history.py"
PACIFIC = ZoneInfo("America/Los_Angeles")
HOLD = timedelta(seconds=60)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_history", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_history"] = module
    spec.loader.exec_module(module)
    return module


real_history = load_script()


@pytest.mark.parametrize(
    ("line", "sensor", "value"),
    [
        ("2010-11-04 00:03:50.209589\tM003\tON\tSleeping begin", "M003", "ON"),
        ("2010-11-04 00:03:50.209589 M003 OFF", "M003", "OFF"),
        (
            "2011-06-15 01:03:39.14962 Kitchen KitchenLight ON Cook",
            "Kitchen_KitchenLight",
            "ON",
        ),
        ("2016-07-12 00:00:30.600670\tBedroomABed\tON\t", "BedroomABed", "ON"),
        ("2012-06-01 05:52:21.084337,M012,ON", "M012", "ON"),
        ("2010-11-04 00:15:08 T002 21.5", "T002", "21.5"),
        ("2009-02-02 07:00:01.1 D001 OPEN", "D001", "OPEN"),
    ],
)
def test_lines_of_every_casas_form_are_read(line: str, sensor: str, value: str) -> None:
    reading = real_history.parse_line(line, PACIFIC)

    assert reading is not None
    assert (reading.sensor, reading.value) == (sensor, value)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "# a comment",
        "2010-11-04 00:03:50 ON",
        "not a date M003 ON",
        "2010-13-45 10:00:00 M003 ON",
    ],
)
def test_lines_that_are_not_readings_are_skipped(line: str) -> None:
    assert real_history.parse_line(line, PACIFIC) is None


def test_local_wall_clock_becomes_utc_in_summer_and_winter() -> None:
    summer = real_history.parse_line("2011-06-15 01:03:39 M001 ON", PACIFIC)
    winter = real_history.parse_line("2011-01-15 01:03:39 M001 ON", PACIFIC)

    assert summer is not None
    assert winter is not None
    assert summer.when == datetime(2011, 6, 15, 8, 3, 39, tzinfo=UTC)
    assert winter.when == datetime(2011, 1, 15, 9, 3, 39, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sensor", "value", "expected"),
    [
        ("M003", "ON", ("binary_sensor.m003_motion", "on")),
        ("MA016", "OFF", ("binary_sensor.ma016_motion", "off")),
        ("D001", "OPEN", ("binary_sensor.d001_door", "on")),
        ("D001", "CLOSE", ("binary_sensor.d001_door", "off")),
        ("D002", "ON", ("binary_sensor.d002_door", "on")),
        ("I01", "ABSENT", ("binary_sensor.i01_item", "on")),
        ("I01", "PRESENT", ("binary_sensor.i01_item", "off")),
        ("I05", "ON", ("binary_sensor.i05_item", "on")),
        ("L003", "ON", ("light.l003", "on")),
        ("LL012", "OFF", ("light.ll012", "off")),
        ("Kitchen_KitchenLight", "ON", ("light.kitchen_kitchen_light", "on")),
        (
            "OutsideDoor_FrontDoor",
            "OPEN",
            ("binary_sensor.outside_door_front_door", "on"),
        ),
        ("BedroomABed", "ON", ("binary_sensor.bedroom_abed_motion", "on")),
        ("T002", "21.5", None),
        ("LS010", "23", None),
        ("LS010", "ON", None),
        ("BATP001", "88", None),
        ("R001", "OK", None),
    ],
)
def test_sensors_map_to_habit_domains_or_are_left_out(
    sensor: str, value: str, expected: tuple[str, str] | None
) -> None:
    assert real_history.entity_and_state(sensor, value) == expected


def test_a_recording_converts_to_rows_in_time_order() -> None:
    lines = [
        "2011-06-15 07:00:02 L001 ON",
        "2011-06-15 07:00:00 M001 ON",
        "2011-06-15 07:00:05 T001 20.5",
        "2011-06-15 07:00:09 M001 OFF",
        "garbage",
    ]

    result = real_history.convert(lines, timezone=PACIFIC, hold=HOLD)

    assert [(e, s) for e, s, _ in result.rows] == [
        ("binary_sensor.m001_motion", "on"),
        ("light.l001", "on"),
        ("binary_sensor.m001_motion", "off"),
    ]
    assert result.skipped == {"T001": 1, "not a reading": 1}
    assert set(result.entities) == {"binary_sensor.m001_motion", "light.l001"}


def test_an_on_only_sensor_gets_an_off_after_each_burst() -> None:
    lines = [
        "2012-06-01 10:00:00,M012,ON",
        "2012-06-01 10:00:30,M012,ON",
        "2012-06-01 10:03:20,M012,ON",
    ]

    result = real_history.convert(lines, timezone=PACIFIC, hold=HOLD)

    start = datetime(2012, 6, 1, 17, 0, tzinfo=UTC)
    assert [(s, w - start) for _, s, w in result.rows] == [
        ("on", timedelta(0)),
        ("on", timedelta(seconds=30)),
        ("off", timedelta(seconds=90)),
        ("on", timedelta(seconds=200)),
        ("off", timedelta(seconds=260)),
    ]


def test_a_sensor_that_reports_off_gets_no_made_up_off() -> None:
    lines = ["2012-06-01 10:00:00 M001 ON", "2012-06-01 10:00:03 M001 OFF"]

    result = real_history.convert(lines, timezone=PACIFIC, hold=HOLD)

    assert [s for _, s, _ in result.rows] == ["on", "off"]


def test_every_house_of_a_folder_becomes_a_history_panel_csv(tmp_path: Path) -> None:
    (tmp_path / "raw" / "hh900").mkdir(parents=True)
    (tmp_path / "raw" / "hh900" / "data").write_text(
        "2011-06-15 07:00:00.5 Kitchen KitchenLight ON Cook\n"
        "2011-06-15 07:10:00 Kitchen KitchenLight OFF\n",
        encoding="utf-8",
    )
    (tmp_path / "raw" / "hh901").mkdir()
    (tmp_path / "raw" / "hh901" / "events.txt").write_text(
        "2016-07-12 00:00:30.600670\tBedroomABed\tON\t\n", encoding="utf-8"
    )

    code = real_history.main(
        ["--all", str(tmp_path / "raw"), "--output-dir", str(tmp_path / "out")]
    )

    assert code == 0
    with (tmp_path / "out" / "hh900.csv").open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["entity_id", "state", "last_changed"],
        ["light.kitchen_kitchen_light", "on", "2011-06-15T14:00:00.500Z"],
        ["light.kitchen_kitchen_light", "off", "2011-06-15T14:10:00.000Z"],
    ]
    assert (
        (tmp_path / "out" / "hh901.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("binary_sensor.bedroom_abed_motion,on,2016-07-12T07:00:30.600Z")
    )


def test_one_recording_converts_with_another_time_zone(tmp_path: Path) -> None:
    raw = tmp_path / "house.txt"
    raw.write_text("2024-01-10 08:00:00 M001 ON\n", encoding="utf-8")

    real_history.main(
        [
            str(raw),
            "--output",
            str(tmp_path / "house.csv"),
            "--timezone",
            "Europe/Paris",
        ]
    )

    lines = (tmp_path / "house.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "binary_sensor.m001_motion,on,2024-01-10T07:00:00.000Z"


def test_without_input_or_output_it_says_what_it_needs() -> None:
    with pytest.raises(SystemExit):
        real_history.main([])
