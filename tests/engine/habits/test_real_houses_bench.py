"""benchmarks/real_houses_bench.py run as scripts/bench runs it, on a made-up house."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).parents[3]
BENCH = "benchmarks.real_houses_bench"
PACIFIC = ZoneInfo("America/Los_Angeles")


def run(data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["HA_AI_REAL_HOUSES"] = str(data)
    env.pop("HA_AI_ENGINE_REPO", None)
    return subprocess.run(
        [sys.executable, "-m", BENCH],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
        text=True,
    )


def stamp(day: date, hour: int, minute: int) -> str:
    moment = datetime.combine(day, time(hour, minute), tzinfo=PACIFIC)
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def write_house(path: Path, days: int) -> None:
    """A kitchen light on at 07:00-07:05 and off at 07:40 every day."""
    rng = random.Random(4)  # noqa: S311 - test data
    lines = ["entity_id,state,last_changed"]
    start = date(2024, 3, 4)
    for offset in range(days):
        day = start + timedelta(days=offset)
        lines.append(f"light.kitchen,on,{stamp(day, 7, rng.randint(0, 5))}")
        lines.append(f"light.kitchen,off,{stamp(day, 7, 40)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_without_data_it_says_so_and_measures_nothing(tmp_path: Path) -> None:
    result = run(tmp_path / "missing")

    assert result.returncode == 0
    assert result.stdout == ""
    assert "nothing measured" in result.stderr


def test_a_house_is_judged_on_every_length_it_has(tmp_path: Path) -> None:
    write_house(tmp_path / "made_up.csv", days=16)

    result = run(tmp_path)

    assert result.returncode == 0, result.stderr
    figures = {
        line["name"]: line["value"]
        for line in map(json.loads, result.stdout.splitlines())
    }
    for label in ("10d", "14d", "whole"):
        assert figures[f"real_made_up_{label}_true_routines"] == 2
        assert figures[f"real_{label}_true_routines"] == 2
        assert 0 <= figures[f"real_{label}_routine_recall"] <= 1
        assert 0 <= figures[f"real_{label}_routine_precision"] <= 1
        assert figures[f"real_{label}_true_pairs"] == 0
    assert "real_made_up_28d_true_routines" not in figures
    assert "made_up" in result.stderr
    assert "rec+f" in result.stderr
