"""benchmarks/household_truth.py: away periods and nights from annotated recordings."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.household_truth import (
    Night,
    bedtime_day,
    household_truth,
    local_minute,
    parse_events,
    wake_day,
)

LA = ZoneInfo("America/Los_Angeles")
RECORDING = """\
2011-06-15 01:03:39.1 Bedroom Bedroom ON Sleep
2011-06-15 04:50:02.0 Bedroom Bedroom ON Wake_Up
2011-06-15 04:50:11.0 Bathroom Bathroom ON Bed_Toilet_Transition
2011-06-15 04:54:33.0 Bedroom Bedroom ON Sleep
2011-06-15 08:07:52.9 Bedroom Bedroom ON Wake_Up
2011-06-15 08:10:00.0 Kitchen Kitchen ON Cook_Breakfast
2011-06-15 10:37:08.9 OutsideDoor FrontDoor OPEN Leave_Home
2011-06-15 10:37:21.3 OutsideDoor FrontDoor CLOSE Leave_Home
2011-06-15 10:37:22.0 OutsideDoor Entry OFF Other_Activity
2011-06-15 14:05:30.7 OutsideDoor FrontDoor OPEN Enter_Home
2011-06-15 14:05:42.7 OutsideDoor FrontDoor CLOSE Enter_Home
2011-06-15 15:00:00.0 OutsideDoor FrontDoor OPEN Leave_Home
2011-06-15 22:57:12.4 Bedroom Bedroom ON Sleep
2011-06-15 23:50:00.0 Bedroom Bedroom OFF Sleep
2011-06-16 01:27:07.0 Bathroom Bathroom ON Bed_Toilet_Transition
2011-06-16 01:31:14.0 Bedroom Bedroom ON Sleep
2011-06-16 07:36:41.4 Kitchen Kitchen ON Other_Activity
2011-06-16 13:00:00.0 LivingRoom LivingRoom ON Sleep
2011-06-16 13:40:00.0 LivingRoom LivingRoom ON Relax
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def test_truth_of_an_annotated_recording(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text(RECORDING, encoding="utf-8")
    truth = household_truth(path, LA)
    assert truth is not None
    # From the door shut behind to the door opened on return; the last
    # Leave_Home has no return and is left out.
    assert truth.away == ((at("2011-06-15 10:37:21.3"), at("2011-06-15 14:05:30.7")),)
    # The recording begins in a night: that one has no bedtime. The next is
    # joined across the bathroom; the 40-minute nap is no night.
    assert truth.nights == (
        Night(bedtime=at("2011-06-15 22:57:12.4"), wake=at("2011-06-16 07:36:41.4")),
    )
    night = truth.nights[0]
    assert wake_day(night) == date(2011, 6, 16)
    assert bedtime_day(night) == date(2011, 6, 15)
    assert local_minute(night.wake) == 7 * 60 + 36


def test_a_bedtime_after_midnight_belongs_to_the_evening_before() -> None:
    night = Night(bedtime=at("2011-06-16 00:30:00"), wake=at("2011-06-16 08:00:00"))
    assert bedtime_day(night) == date(2011, 6, 15)


def test_unannotated_recordings_have_no_truth(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text(
        "2012-06-01 05:52:21.084337,M012,ON\nnot an event\n"
        "2012-06-01 bad-time M012 ON Sleep\n2012-06-01 05:53:00 T001 21.5\n",
        encoding="utf-8",
    )
    assert household_truth(path, LA) is None
    assert list(parse_events(["2012-06-01 05:52:21 M012 ON Sleep"], LA)) != []
