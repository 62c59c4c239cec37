"""A TeamTracker sensor's update to HA AI's sports moment at an outside MQTT client.

The figure a consumer of `<prefix>/events/sports/<team>/scored` cares about is
how long after the sensor shows the goal the message reaches them (the lights
flash that much later). So that is what is timed, through a real Home Assistant
with HA AI and a real mosquitto (the environment `scripts/develop` runs), with
each team's delay option at 0 (a new entry's default): the sensor's new state
written into Home Assistant's state machine, HA AI's sports follower (the state
listener, the engine's `GameFollower`), its MQTT bus, mosquitto on loopback,
and a paho client that timestamps each moment in its own thread
(`scripts/bench.py`'s pattern).

The sensor is the TeamTracker stand-in of `scripts/devenv/teamtracker`,
registered in the entity registry under the platform `teamtracker` as the
real integration's sensors are. Each state is written by its action
`teamtracker.play_step`, which responds with `time.monotonic()` taken inside
Home Assistant right before the write; the client takes `time.monotonic()` at
the message's arrival. Both read the machine's one monotonic clock (Linux's
CLOCK_MONOTONIC), so the latency starts at the state change itself and leaves
out the HTTP request that asked for it. (Setting the state through REST,
`POST /api/states`, would time the HTTP request too, and would write a state
that the entity does not hold.)

Two teams play whole games, taken in turn, until each has given `--events`
scores (its own and the opponent's):

- the Seahawks (NFL, a game won in overtime: 8 scores a game), whose stand-in
  fires no `teamtracker.score_change` (TeamTracker before that event): the
  score comes from the state alone (`sports_score_latency_*`);
- the Islanders (NHL, a game won in a shoot-out: 5 scores a game), whose
  stand-in fires the event right before the state, as TeamTracker's newer
  releases do: the score comes from the event, and the state that follows must
  not announce it again (`sports_score_from_event_latency_*`).

Every message is checked against what the engine's `GameFollower`, fed the same
readings, announces: the topic, the moment, the scores and the game. Anything
else that arrives (a moment twice, a moment too many) stops the bench.
`--record FILE` writes every message with the state that caused it;
tests/test_real_ha_sports.py runs one game of each team and checks the moments.

`scripts/bench --only sports` prints p50/p95/max/mean in ms, one JSON line each.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from custom_components.ha_ai.engine.sports.follower import GameFollower
from custom_components.ha_ai.engine.sports.model import (
    SCORE_KINDS,
    GameSnapshot,
    Moment,
)
from custom_components.ha_ai.engine.sports.slug import TeamIdentity, base_slug
from scripts import devenv
from scripts.bench import (
    add_measure_options,
    add_run_dir_options,
    emit,
    kept_when_failed,
    run_dir_for,
    summary,
)
from scripts.devenv.sports_demo import StandInTeam, teamtracker_yaml
from scripts.devenv.timed_client import Arrival, TimedClient

PREFIX = "ha-ai"
SPORTS_TOPIC = f"{PREFIX}/events/sports"
FOLLOW_TIMEOUT = 60.0
# After the last game: how long a moment sent twice would have to show up.
QUIET_AFTER = 1.0
STATE = "state"
SCORE_EVENT = "score_event"


@dataclasses.dataclass(frozen=True)
class BenchTeam:
    """A team the bench plays, and where its scores come from."""

    standin: StandInTeam
    source: str  # STATE or SCORE_EVENT

    @property
    def slug(self) -> str:
        """Return the `<team>` level of its topics (no other team shares it)."""
        return base_slug(
            TeamIdentity(league=self.standin.league, abbr=self.standin.team)
        )

    @property
    def topic(self) -> str:
        """Return the topic its moments go under."""
        return f"{SPORTS_TOPIC}/{self.slug}"

    @property
    def figure(self) -> str:
        """Return the name of its score latency figure."""
        if self.source == SCORE_EVENT:
            return "sports_score_from_event_latency"
        return "sports_score_latency"


TEAMS = (
    BenchTeam(
        StandInTeam("Seahawks", "NFL", "SEA", "nfl_overtime", score_events=False),
        STATE,
    ),
    BenchTeam(
        StandInTeam("Islanders", "NHL", "NYI", "nhl_shootout", score_events=True),
        SCORE_EVENT,
    ),
)


def moment_client(loop: asyncio.AbstractEventLoop, port: int) -> TimedClient:
    """Return an outside client of every sports moment.

    Its clock is `time.monotonic`, the one the stand-in reads inside Home
    Assistant as it writes a state.
    """
    return TimedClient(
        loop,
        port,
        client_id="ha-ai-bench-sports",
        topic=f"{SPORTS_TOPIC}/#",
        clock=time.monotonic,
    )


@dataclasses.dataclass
class Measured:
    """What the bench measured, and what it saw."""

    scores: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    starts_and_results: list[float] = dataclasses.field(default_factory=list)
    games: dict[str, int] = dataclasses.field(default_factory=dict)
    record: list[dict[str, Any]] = dataclasses.field(default_factory=list)


class Oracle:
    """The engine's follower, fed what HA AI is fed: the moments it must send."""

    def __init__(self, team: BenchTeam) -> None:
        """Follow `team` from nothing, as HA AI does on a new installation."""
        self.follower = GameFollower(team.slug)

    def read(
        self, state: str, attributes: dict[str, Any], events: list[dict[str, Any]]
    ) -> list[Moment]:
        """Take in one update: its score events first, then its state."""
        now = datetime.now(UTC)
        moments: list[Moment] = []
        for data in events:
            moments += self.follower.score_event(data, now)
        moments += self.follower.observe(
            GameSnapshot.from_state(state, attributes, now)
        )
        return moments


def matches(arrival: Arrival, team: BenchTeam, moment: Moment) -> bool:
    """Tell whether a message is the moment expected, on the team's topic."""
    expected = moment.payload()
    keys = ("moment", "team", "team_score", "opponent_score", "points", "game_id")
    return arrival.topic == f"{team.topic}/{moment.kind.value}" and all(
        arrival.payload.get(key) == expected[key] for key in keys
    )


async def wait_followed(api: devenv.HassApi, teams: tuple[BenchTeam, ...]) -> None:
    """Wait until HA AI follows every team: its game sensor names the topic."""
    wanted = {team.topic for team in teams}
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    while True:
        topics = {
            state["attributes"].get("topic")
            for state in await api.request("GET", "/api/states")
            if state["entity_id"].startswith("sensor.")
        }
        if wanted <= topics:
            return
        if time.monotonic() > deadline:
            msg = f"HA AI follows none of {sorted(wanted - topics)} (topics: {topics})"
            raise devenv.DevEnvError(msg)
        await asyncio.sleep(0.25)


async def play_step(api: devenv.HassApi, entity_id: str) -> dict[str, Any]:
    """Have the stand-in write its sensor's next state; return what it wrote."""
    answer = await api.call_service(
        "teamtracker", "play_step", {"entity_id": entity_id}, return_response=True
    )
    step: dict[str, Any] = answer["service_response"][entity_id]
    return step


async def play_game(  # noqa: PLR0913 - the game's team, its clients, its tally
    api: devenv.HassApi,
    client: TimedClient,
    team: BenchTeam,
    oracle: Oracle,
    measured: Measured,
    timeout: float,
) -> None:
    """Play one whole game of `team`, timing each of its moments."""
    entity_id = team.standin.entity_id
    game = measured.games[team.figure] = measured.games.get(team.figure, 0) + 1
    while True:
        if stray := client.drain():
            msg = f"{team.slug}: moments nobody expected: {stray}"
            raise devenv.DevEnvError(msg)
        step = await play_step(api, entity_id)
        expected = oracle.read(step["state"], step["attributes"], step["score_events"])
        for moment in expected:
            try:
                arrival = await client.next(timeout)
            except TimeoutError:
                msg = f"{team.slug}: no {moment.kind.value} within {timeout} s"
                raise devenv.DevEnvError(msg) from None
            if not matches(arrival, team, moment):
                msg = (
                    f"{team.slug}: expected {moment.kind.value} "
                    f"{moment.team_score}-{moment.opponent_score}, got "
                    f"{arrival.topic}: {arrival.payload}"
                )
                raise devenv.DevEnvError(msg)
            latency = (arrival.at - step["written_at"]) * 1000
            if moment.kind in SCORE_KINDS:
                measured.scores.setdefault(team.figure, []).append(latency)
            else:
                measured.starts_and_results.append(latency)
            measured.record.append(
                {
                    "team": team.slug,
                    "source": team.source,
                    "game": game,
                    "step": step["step"],
                    "state": step["state"],
                    "score_events": len(step["score_events"]),
                    "latency_ms": round(latency, 3),
                    "topic": arrival.topic,
                    "payload": arrival.payload,
                }
            )
        if step["game_over"]:
            return


async def measure_moments(
    env: devenv.Environment, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Play games until each team gave `args.events` scores; return figures, record."""
    await devenv.ensure_entries(env.api, env.mqtt_port)
    await wait_followed(env.api, TEAMS)
    client = moment_client(asyncio.get_running_loop(), env.mqtt_port)
    await client.start()
    measured = Measured()
    oracles = {}
    for team in TEAMS:
        shown = await env.api.request("GET", f"/api/states/{team.standin.entity_id}")
        oracles[team.slug] = Oracle(team)
        oracles[team.slug].read(shown["state"], shown["attributes"], [])
    try:
        devenv.log(f"Playing games until each team gave {args.events} scores")
        while pending := [
            team
            for team in TEAMS
            if len(measured.scores.get(team.figure, [])) < args.events
        ]:
            for team in pending:
                await play_game(
                    env.api, client, team, oracles[team.slug], measured, args.timeout
                )
        await asyncio.sleep(QUIET_AFTER)
        if stray := client.drain():
            msg = f"moments after the last game: {stray}"
            raise devenv.DevEnvError(msg)
    finally:
        client.stop()
    figures: list[dict[str, Any]] = []
    for team in TEAMS:
        samples = measured.scores[team.figure]
        figures += summary(team.figure, samples)
        figures.append(
            {"name": f"{team.figure}_samples", "value": len(samples), "unit": "scores"}
        )
        figures.append(
            {
                "name": f"{team.figure}_games",
                "value": measured.games[team.figure],
                "unit": "games",
            }
        )
    figures += summary("sports_start_and_result_latency", measured.starts_and_results)
    return figures, measured.record


async def bench(args: argparse.Namespace) -> int:
    """Start the environment with the stand-in's teams, measure, stop; print."""
    run_dir = run_dir_for("sports-", args.run_dir)
    with kept_when_failed(run_dir, keep=args.keep):
        async with devenv.environment(
            run_dir,
            devenv.free_port(),
            devenv.free_port(),
            {},
            debug=False,
            extra_yaml=teamtracker_yaml(team.standin for team in TEAMS),
        ) as env:
            figures, record = await measure_moments(env, args)
        if args.record is not None:
            args.record.write_text(json.dumps(record, indent=1), encoding="utf-8")
        for figure in figures:
            emit(figure)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the measurement."""
    parser = argparse.ArgumentParser(
        prog="bench_sports.py",
        description="Time a TeamTracker sensor's update to HA AI's sports moment "
        "at an outside MQTT client.",
    )
    add_measure_options(parser, events="scores measured per team", each="moment")
    add_run_dir_options(parser)
    parser.add_argument(
        "--record",
        type=Path,
        help="write every moment received, with the state that caused it, to this "
        "JSON file",
    )
    args = parser.parse_args(argv)
    devenv.ensure_runtime_requirements()
    return devenv.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
