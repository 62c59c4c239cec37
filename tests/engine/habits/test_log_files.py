"""The compact habit log on disk: append, bound, read, prune."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from custom_components.ha_ai.engine.habits.log_files import (
    append_rows,
    day_file,
    first_day,
    iter_rows,
    prune,
    read_table,
    size_on_disk,
)
from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.engine.stored import Drops


def epoch(day: int, hour: int = 12, minute: int = 0) -> int:
    return int(datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp())


def test_rows_go_to_their_day_and_read_back_sorted(tmp_path: Path) -> None:
    rows = [
        (epoch(21, 23, 59), int(Origin.MANUAL), "light.hall", "on"),
        (epoch(20, 7), int(Origin.AUTOMATED), "switch.fan", "off"),
        (epoch(21, 6), int(Origin.SYSTEM), "light.hall", "unavailable"),
        (epoch(21, 6, 1), int(Origin.MANUAL), "media_player.tv", 'say "hi", ok'),
    ]
    result = append_rows(tmp_path, rows, max_day_bytes=10_000)
    assert (result.written, result.dropped) == (4, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2026-11-20.csv",
        "2026-11-21.csv",
    ]
    table = read_table(tmp_path, since=date(2026, 11, 1))
    assert len(table) == 4
    ordered = [
        (table.entity_ids[e], table.states[s], int(o))
        for e, s, o in zip(table.entity, table.state, table.origin, strict=True)
    ]
    assert ordered == [
        ("switch.fan", "off", Origin.AUTOMATED),
        ("light.hall", "unavailable", Origin.SYSTEM),
        ("media_player.tv", 'say "hi", ok', Origin.MANUAL),
        ("light.hall", "on", Origin.MANUAL),
    ]
    assert len(read_table(tmp_path, since=date(2026, 11, 21))) == 3


def test_a_full_day_keeps_its_first_rows(tmp_path: Path) -> None:
    rows = [(epoch(20, 8, i), 0, "light.hall", "on") for i in range(50)]
    result = append_rows(tmp_path, rows, max_day_bytes=200)
    assert result.written > 0
    assert result.dropped == 50 - result.written
    assert size_on_disk(tmp_path) <= 200
    # Later appends to the same day are refused too; another day is fine.
    again = append_rows(
        tmp_path,
        [(epoch(20, 9), 0, "light.hall", "off"), (epoch(22), 0, "light.x", "on")],
        max_day_bytes=200,
    )
    assert (again.written, again.dropped) == (1, 1)


def test_damaged_lines_and_files_are_skipped(tmp_path: Path) -> None:
    append_rows(tmp_path, [(epoch(20), 0, "light.hall", "on")], max_day_bytes=1000)
    with day_file(tmp_path, date(2026, 11, 20)).open("a") as file:
        file.write("garbage\n1,9,light.x,on\nx,0,light.x,on\n5,0,nodomain,on\n17632")
    (tmp_path / "not-a-day.csv").write_text("1,0,light.x,on\n")
    (tmp_path / "notes.txt").write_text("ignored")
    rows = list(iter_rows(tmp_path, since=date(2026, 1, 1)))
    assert rows == [(epoch(20), 0, "light.hall", "on")]


def test_missing_directory_reads_empty(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert len(read_table(missing, since=date(2026, 1, 1))) == 0
    assert prune(missing, keep_days=1, today=date(2026, 1, 1)) == []
    assert size_on_disk(missing) == 0


def test_prune_keeps_the_retention(tmp_path: Path) -> None:
    for day in (1, 10, 11, 20, 21):
        append_rows(tmp_path, [(epoch(day), 0, "light.a", "on")], max_day_bytes=999)
    (tmp_path / "junk.csv").write_text("")
    removed = prune(tmp_path, keep_days=10, today=date(2026, 11, 21))
    # Today and the ten days before it are kept.
    assert [p.name for p in removed] == ["2026-11-01.csv", "2026-11-10.csv"]
    assert sorted(p.name for p in tmp_path.glob("2026-*.csv")) == [
        "2026-11-11.csv",
        "2026-11-20.csv",
        "2026-11-21.csv",
    ]


def test_damaged_lines_and_unreadable_files_are_counted(tmp_path: Path) -> None:
    append_rows(tmp_path, [(epoch(20), 0, "light.hall", "on")], max_day_bytes=1000)
    with day_file(tmp_path, date(2026, 11, 20)).open("a") as file:
        file.write("garbage\n" + "x" * 200_000 + "\n" + '"open quote\n')
    day_file(tmp_path, date(2026, 11, 21)).mkdir()  # a directory, not a file
    drops = Drops()
    rows = list(iter_rows(tmp_path, since=date(2026, 1, 1), drops=drops))
    assert rows == [(epoch(20), 0, "light.hall", "on")]
    assert drops.dropped["log line: 2026-11-20.csv: not a logged change"] == 2
    assert drops.dropped["log line: 2026-11-20.csv: not a line of the log"] == 1
    assert (
        drops.dropped["day file: 2026-11-21.csv cannot be read (Is a directory)"] == 1
    )


def test_stray_files_do_not_stop_the_first_day_or_the_prune(tmp_path: Path) -> None:
    assert first_day(tmp_path) is None
    (tmp_path / "0-notes.csv").write_text("x")
    append_rows(tmp_path, [(epoch(20), 0, "light.hall", "on")], max_day_bytes=1000)
    day_file(tmp_path, date(2026, 11, 1)).mkdir()  # cannot be unlinked
    assert first_day(tmp_path) == date(2026, 11, 1)
    removed = prune(tmp_path, keep_days=1, today=date(2026, 11, 30))
    assert removed == [day_file(tmp_path, date(2026, 11, 20))]
    assert (tmp_path / "0-notes.csv").exists()
