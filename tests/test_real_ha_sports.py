"""End to end: a TeamTracker sensor's games, announced to an outside MQTT client.

`python -m scripts.bench_sports` starts one Home Assistant process with HA AI,
the TeamTracker stand-in (`scripts/devenv/teamtracker`, its sensors registered
under the platform `teamtracker`) and a real mosquitto, as `scripts/develop`
does; then it plays whole games through the sensors state by state and times
each moment at an outside paho client. This test runs one game of each team
as a child process (its own sockets and threads) and checks, from the record of
every message the client received, the exact moments of each game in order:
the Seahawks' NFL game won in overtime, read from the sensor's states alone,
and the Islanders' NHL game won in a shoot-out, whose scores come first from
TeamTracker's `teamtracker.score_change` event and then again with the state
(counted once). It also checks what the bench itself guarantees: nothing
arrived that the engine would not have announced, and the figures came out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .real_ha import figures_by_name, real_ha_marks, run_module

# One game of each team: the NFL game has 8 scores, the NHL game 5.
SCORES = 5
RUN_TIMEOUT = 300

# (moment, team score, opponent score, points) in the order they must arrive.
SEAHAWKS_GAME = [
    ("game_started", 0, 0, None),
    ("scored", 7, 0, 7),
    ("opponent_scored", 7, 3, 3),
    ("opponent_scored", 7, 10, 7),
    ("scored", 14, 10, 7),
    ("opponent_scored", 14, 17, 7),
    ("scored", 20, 17, 6),
    ("opponent_scored", 20, 20, 3),
    ("scored", 23, 20, 3),
    ("won", 23, 20, None),
]
ISLANDERS_GAME = [
    ("game_started", 0, 0, None),
    ("opponent_scored", 0, 1, 1),
    ("scored", 1, 1, 1),
    ("scored", 2, 1, 1),
    ("opponent_scored", 2, 2, 1),
    # The shoot-out's winner is credited one goal in the final score.
    ("scored", 3, 2, 1),
    ("won", 3, 2, None),
]

pytestmark = real_ha_marks("sports moments are covered by test_sports_live.py")


def moments(record: list[dict[str, Any]], team: str) -> list[dict[str, Any]]:
    return [entry for entry in record if entry["team"] == team]


def shape(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            entry["payload"]["moment"],
            entry["payload"]["team_score"],
            entry["payload"]["opponent_score"],
            entry["payload"]["points"],
        )
        for entry in entries
    ]


def test_games_reach_an_outside_client_moment_by_moment(tmp_path: Path) -> None:
    record_file = tmp_path / "record.json"
    out = run_module(
        "scripts.bench_sports",
        "--events",
        str(SCORES),
        "--run-dir",
        str(tmp_path / "run"),
        "--record",
        str(record_file),
        timeout=RUN_TIMEOUT,
    )
    record = json.loads(record_file.read_text(encoding="utf-8"))

    seahawks = moments(record, "nfl_sea")
    assert shape(seahawks) == SEAHAWKS_GAME
    islanders = moments(record, "nhl_nyi")
    assert shape(islanders) == ISLANDERS_GAME
    for entries, name, opponent in (
        (seahawks, "Seahawks", "49ers"),
        (islanders, "Islanders", "Flyers"),
    ):
        topics = [entry["topic"] for entry in entries]
        team = entries[0]["team"]
        assert topics == [f"ha-ai/events/sports/{team}/{m[0]}" for m in shape(entries)]
        payloads = [entry["payload"] for entry in entries]
        # One game, each message once (QoS 1 may deliver twice: not here).
        assert len({p["game_id"] for p in payloads}) == 1
        assert len({p["event_id"] for p in payloads}) == len(payloads)
        assert {p["team_name"] for p in payloads} == {name}
        assert {p["opponent"] for p in payloads} == {opponent}
        assert all(p["source"] == "ha_ai" for p in payloads)
        assert [p["team_winner"] for p in payloads][-1] is True
        assert all(len(p["team_colors"]) == 2 for p in payloads)
    # The Islanders' scores while live came with TeamTracker's event; the
    # Seahawks' stand-in fires none.
    assert {entry["score_events"] for entry in seahawks} == {0}
    live_scores = [
        e
        for e in islanders
        if e["state"] == "IN" and "scored" in e["payload"]["moment"]
    ]
    assert {entry["score_events"] for entry in live_scores} == {1}

    figures = figures_by_name(out)
    assert figures["sports_score_latency_samples"]["value"] == 8
    assert figures["sports_score_from_event_latency_samples"]["value"] == SCORES
    assert figures["sports_score_latency_games"]["value"] == 1
    assert figures["sports_score_from_event_latency_games"]["value"] == 1
    for name in (
        "sports_score_latency",
        "sports_score_from_event_latency",
        "sports_start_and_result_latency",
    ):
        for key in ("p50", "p95", "max", "mean"):
            figure = figures[f"{name}_{key}"]
            assert figure["unit"] == "ms"
            assert figure["value"] > 0
