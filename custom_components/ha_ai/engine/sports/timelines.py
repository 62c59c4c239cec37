"""Realistic TeamTracker games, state by state, as one sensor shows them.

Each `Timeline` is what a TeamTracker sensor (`vasqued2/ha-teamtracker`) shows
over one stretch of a season: its state and its attributes, at the times they
change. The attributes are TeamTracker's own, in its own order and formats: the
attribution first, then every field of its values (null when not set), scores as
text, `date` to the minute in UTC, `clock` as ESPN's short detail, winner flags
null until the end (false throughout for soccer). Home Assistant adds
`friendly_name` and `icon` itself; a stand-in entity gets them from `Fixture`.

The glitches that TeamTracker's users report are played as they are reported:
MLB games flipping to yesterday's final and back (ha-teamtracker #225), to
tomorrow's preview and back (#221), a live game reset to `PRE` 0-0 with its
fields emptied (#269), an API error shown as `NOT_FOUND`, `POST` giving way to
the next game's `PRE` right after the end (#342).

This lives in the engine, not in `tests/`, because it is plain data that three
other places replay: the engine's and Home Assistant side's tests, the demo
house's TeamTracker stand-in (which runs inside Home Assistant, where only the
integration's package is importable) and `scripts/bench`. It imports nothing
but the standard library and is never used by the integration at run time.
`score_changes` adds the `teamtracker.score_change` events that TeamTracker's
newer code fires, by that code's own rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

ATTRIBUTION: Final = "Data provided by ESPN"
SCORE_CHANGE_EVENT: Final = "teamtracker.score_change"
DEFAULT_LOGO: Final = (
    "https://cdn0.iconfinder.com/data/icons/shift-interfaces/32/Error-512.png"
)

# TeamTracker's values, in the order its sensor shows them (models.py).
FIELDS: Final = (
    "state",
    "sport",
    "sport_path",
    "league",
    "league_path",
    "league_logo",
    "league_name",
    "season",
    "team_abbr",
    "opponent_abbr",
    "event_id",
    "event_name",
    "event_url",
    "event_stream",
    "date",
    "kickoff_in",
    "series_summary",
    "venue",
    "location",
    "tv_network",
    "odds",
    "overunder",
    "team_name",
    "team_long_name",
    "team_id",
    "team_record",
    "team_rank",
    "team_conference_id",
    "team_homeaway",
    "team_logo",
    "team_url",
    "team_stream",
    "team_colors",
    "team_score",
    "team_win_probability",
    "team_winner",
    "team_timeouts",
    "opponent_name",
    "opponent_long_name",
    "opponent_id",
    "opponent_record",
    "opponent_rank",
    "opponent_conference_id",
    "opponent_homeaway",
    "opponent_logo",
    "opponent_url",
    "opponent_stream",
    "opponent_colors",
    "opponent_score",
    "opponent_win_probability",
    "opponent_winner",
    "opponent_timeouts",
    "quarter",
    "clock",
    "possession",
    "last_play",
    "down_distance_text",
    "outs",
    "balls",
    "strikes",
    "on_first",
    "on_second",
    "on_third",
    "team_shots_on_target",
    "team_total_shots",
    "opponent_shots_on_target",
    "opponent_total_shots",
    "team_sets_won",
    "opponent_sets_won",
    "last_update",
    "api_message",
    "api_url",
    "private_fast_refresh",
)

SPORT_ICONS: Final = {
    "baseball": "mdi:baseball",
    "basketball": "mdi:basketball",
    "football": "mdi:football",
    "hockey": "mdi:hockey-puck",
    "soccer": "mdi:soccer",
}
_FAST_REFRESH_BEFORE: Final = timedelta(minutes=20)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a game, as ESPN names it."""

    abbr: str
    name: str  # the short name TeamTracker shows as `team_name`
    long_name: str
    team_id: str
    colors: tuple[str, str]  # `#rrggbb`
    record: str | None = None
    logo: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One state of the sensor, from `at` on."""

    at: datetime
    state: str
    attributes: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """One `teamtracker.score_change` event, fired at `at` before the state."""

    at: datetime
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Fixture:
    """One game of a team: everything TeamTracker shows that does not change."""

    league: str
    sport: str
    league_path: str
    league_name: str
    team: Side
    opponent: Side
    event_id: str
    date: datetime  # the start, UTC
    home: bool = True
    venue: str | None = None
    location: str | None = None
    tv_network: str | None = None
    friendly_name: str = "team_tracker"

    @property
    def icon(self) -> str:
        """Return the icon TeamTracker gives the sensor for the sport."""
        return SPORT_ICONS.get(self.sport, "mdi:scoreboard")

    @property
    def soccer(self) -> bool:
        """Tell whether the sport is soccer (winner flags false before the end)."""
        return self.sport == "soccer"

    def with_game(
        self,
        event_id: str,
        date: datetime,
        *,
        opponent: Side | None = None,
        home: bool | None = None,
    ) -> Fixture:
        """Return another game of the team: its id and start, maybe its opponent."""
        return replace(
            self,
            event_id=event_id,
            date=date,
            opponent=opponent or self.opponent,
            home=self.home if home is None else home,
        )

    def _base(self, state: str, at: datetime) -> dict[str, object]:
        team, opponent = self.team, self.opponent
        home, away = (team, opponent) if self.home else (opponent, team)
        values: dict[str, object] = {
            "state": state,
            "sport": self.sport,
            "sport_path": self.sport,
            "league": self.league,
            "league_path": self.league_path,
            "league_logo": (
                f"https://a.espncdn.com/i/teamlogos/leagues/500/{self.league.lower()}.png"
            ),
            "league_name": self.league_name,
            "season": "regular-season",
            "team_abbr": team.abbr,
            "opponent_abbr": opponent.abbr,
            "event_id": self.event_id,
            "event_name": f"{away.abbr} @ {home.abbr}",
            "event_url": (
                f"https://www.espn.com/{self.league.lower()}/game/_/gameId/"
                f"{self.event_id}"
            ),
            "date": self.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            "kickoff_in": humanize(self.date - at),
            "venue": self.venue,
            "location": self.location,
            "tv_network": self.tv_network,
            "team_score": "0",
            "opponent_score": "0",
            "team_winner": False if self.soccer else None,
            "opponent_winner": False if self.soccer else None,
            "last_update": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00"),
            "api_url": _api_url(self.sport, self.league_path),
            "private_fast_refresh": False,
        }
        for prefix, side, homeaway in (
            ("team", team, "home" if self.home else "away"),
            ("opponent", opponent, "away" if self.home else "home"),
        ):
            values |= {
                f"{prefix}_name": side.name,
                f"{prefix}_long_name": side.long_name,
                f"{prefix}_id": side.team_id,
                f"{prefix}_record": side.record,
                f"{prefix}_homeaway": homeaway,
                f"{prefix}_logo": side.logo
                or (
                    f"https://a.espncdn.com/i/teamlogos/{self.league.lower()}/500/"
                    f"scoreboard/{side.abbr.lower()}.png"
                ),
                f"{prefix}_url": (
                    f"https://www.espn.com/{self.league.lower()}/team/_/name/"
                    f"{side.abbr.lower()}"
                ),
                f"{prefix}_colors": list(side.colors),
            }
        return values

    def pre(self, at: datetime, **values: object) -> Step:
        """Return the preview: `PRE`, 0-0, the kick-off time as the clock."""
        base = self._base("PRE", at)
        base |= {
            "quarter": 0,
            "clock": _kick_off(self.date),
            "private_fast_refresh": self.date - at < _FAST_REFRESH_BEFORE,
        }
        return _step(at, "PRE", base | values)

    def live(
        self,
        at: datetime,
        team_score: int | str,
        opponent_score: int | str,
        *,
        period: int | str,
        clock: str,
        **values: object,
    ) -> Step:
        """Return the game in play: `IN`, the score, period and clock."""
        base = self._base("IN", at)
        base |= {
            "team_score": str(team_score),
            "opponent_score": str(opponent_score),
            "quarter": period,
            "clock": clock,
            "team_win_probability": None if self.soccer else 0.5,
            "opponent_win_probability": None if self.soccer else 0.5,
            "private_fast_refresh": True,
        }
        return _step(at, "IN", base | values)

    def final(  # noqa: PLR0913 - the time, the score, and how it ended
        self,
        at: datetime,
        team_score: int | str,
        opponent_score: int | str,
        *,
        period: int | str,
        clock: str = "Final",
        team_winner: bool | None = None,
        **values: object,
    ) -> Step:
        """Return the end: `POST`, the final score and the winner flags.

        The flags follow the score unless `team_winner` says otherwise (a
        shoot-out); a level score leaves both false.
        """
        base = self._base("POST", at)
        if team_winner is None:
            ours, theirs = _main(team_score), _main(opponent_score)
            team_winner = ours > theirs
            opponent_winner = theirs > ours
        else:
            opponent_winner = not team_winner
        base |= {
            "team_score": str(team_score),
            "opponent_score": str(opponent_score),
            "team_winner": team_winner,
            "opponent_winner": opponent_winner,
            "quarter": period,
            "clock": clock,
        }
        return _step(at, "POST", base | values)

    def not_found(self, at: datetime, message: str | None = None) -> Step:
        """Return `NOT_FOUND`: no game for the team, or an API error.

        TeamTracker keeps only the league and the team's abbreviation then.
        """
        values: dict[str, object] = {
            "state": "NOT_FOUND",
            "sport": self.sport,
            "sport_path": self.sport,
            "league": self.league,
            "league_path": self.league_path,
            "league_logo": DEFAULT_LOGO,
            "team_abbr": self.team.abbr,
            "last_update": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00"),
            "api_message": message
            or (
                f"No competition scheduled for '{self.team.abbr}' between "
                f"{(at - timedelta(days=1)):%Y-%m-%dT%H:%MZ} and "
                f"{(at + timedelta(days=5)):%Y-%m-%dT%H:%MZ}"
            ),
            "api_url": _api_url(self.sport, self.league_path),
            "private_fast_refresh": False,
        }
        return _step(at, "NOT_FOUND", values)

    def bye(self, at: datetime) -> Step:
        """Return `BYE` as TeamTracker's README describes it: name and logo only."""
        values: dict[str, object] = {
            "state": "BYE",
            "team_abbr": self.team.abbr,
            "team_name": self.team.name,
            "team_logo": self.team.logo,
            "last_update": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00"),
            "private_fast_refresh": False,
        }
        return _step(at, "BYE", values)

    def unavailable(self, at: datetime) -> Step:
        """Return `unavailable`: Home Assistant writes no attributes of the entity."""
        return Step(at, "unavailable", {})


@dataclass(frozen=True, slots=True)
class Timeline:
    """What one sensor showed over a stretch of time, oldest first."""

    name: str
    fixture: Fixture  # the team, and the game most of the timeline is about
    steps: tuple[Step, ...]
    about: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def start(self) -> datetime:
        """Return when the first state was shown."""
        return self.steps[0].at

    def shifted(self, start: datetime) -> Timeline:
        """Return the same timeline moved to begin at `start`.

        The games move with it; their starts stay on whole minutes, as ESPN's
        are.
        """
        delta = start - self.start
        return replace(
            self,
            fixture=replace(self.fixture, date=_minute(self.fixture.date + delta)),
            steps=tuple(_shift(step, delta) for step in self.steps),
        )


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _shift(step: Step, delta: timedelta) -> Step:
    attributes = dict(step.attributes)
    date = attributes.get("date")
    if isinstance(date, str):
        start = _minute(datetime.fromisoformat(date) + delta)
        attributes["date"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return Step(step.at + delta, step.state, attributes)


def _step(at: datetime, state: str, values: Mapping[str, object]) -> Step:
    attributes: dict[str, object] = {"attribution": ATTRIBUTION}
    attributes |= {name: values.get(name) for name in FIELDS}
    return Step(at, state, attributes)


def _kick_off(date: datetime) -> str:
    """Return a start as ESPN's short detail shows it before a game (in UTC)."""
    start = date.astimezone(UTC)
    hour = start.hour % 12 or 12
    half = "AM" if start.hour < 12 else "PM"  # noqa: PLR2004
    return f"{start.month}/{start.day} - {hour}:{start.minute:02d} {half} UTC"


def _api_url(sport: str, league_path: str) -> str:
    return (
        f"http://site.api.espn.com/apis/site/v2/sports/{sport}/{league_path}"
        "/scoreboard?lang=en&limit=50"
    )


def _main(score: int | str) -> int:
    text = str(score)
    return int(text.split("(", 1)[0])


def humanize(delta: timedelta) -> str:
    """Return a time difference the way TeamTracker's `kickoff_in` words it."""
    seconds = delta.total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 45:  # noqa: PLR2004
        return "just now"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            text = f"{'an' if unit == 'hour' else 'a'} {unit}"
            if count > 1:
                text = f"{count} {unit}s"
            return f"in {text}" if ahead else f"{text} ago"
    return "in a minute" if ahead else "a minute ago"


def score_changes(timeline: Timeline, entity_id: str) -> Iterator[Step | ScoreChange]:
    """Yield the timeline's states with the events TeamTracker's newer code fires.

    Its rule (`_handle_coordinator_update`): from the second update on, when the
    new state is `IN` and either score differs from the last update's, fire
    `teamtracker.score_change` with the new and previous scores, before the new
    state is written.
    """
    previous: Step | None = None
    for step in timeline.steps:
        if step.state == "unavailable":
            yield step  # no update of TeamTracker's data: nothing is compared
            continue
        team = step.attributes.get("team_score")
        opponent = step.attributes.get("opponent_score")
        if previous is not None and step.state == "IN":
            before_team = previous.attributes.get("team_score")
            before_opponent = previous.attributes.get("opponent_score")
            if (team, opponent) != (before_team, before_opponent):
                yield ScoreChange(
                    step.at,
                    {
                        "entity_id": entity_id,
                        "team_name": step.attributes.get("team_name"),
                        "team_score": team,
                        "opponent_score": opponent,
                        "prev_team_score": before_team,
                        "prev_opponent_score": before_opponent,
                    },
                )
        previous = step
        yield step


# The timelines


SEAHAWKS: Final = Side(
    "SEA", "Seahawks", "Seattle Seahawks", "26", ("#002a5c", "#69be28"), "10-6"
)
NINERS: Final = Side(
    "SF", "49ers", "San Francisco 49ers", "25", ("#aa0000", "#b3995d"), "11-5"
)
CREW: Final = Side(
    "CLB", "Columbus", "Columbus Crew", "183", ("#ffff00", "#c9c7c8"), "9-13-6"
)
MONTREAL: Final = Side(
    "MTL", "CF Montréal", "CF Montréal", "9720", ("#181818", "#c9c7c8"), "16-4-9"
)
ISLANDERS: Final = Side(
    "NYI", "Islanders", "New York Islanders", "12", ("#00529b", "#f47d30"), "20-15-5"
)
FLYERS: Final = Side(
    "PHI", "Flyers", "Philadelphia Flyers", "15", ("#fe5823", "#000000"), "18-16-6"
)
BREWERS: Final = Side(
    "MIL", "Brewers", "Milwaukee Brewers", "8", ("#13294b", "#ffc52f"), "80-62"
)
GIANTS: Final = Side(
    "SF", "Giants", "San Francisco Giants", "26", ("#fd5a1e", "#27251f"), "66-76"
)
CUBS: Final = Side("CHC", "Cubs", "Chicago Cubs", "16", ("#0e3386", "#cc3433"), "64-79")

NFL_GAME: Final = Fixture(
    league="NFL",
    sport="football",
    league_path="nfl",
    league_name="National Football League",
    team=SEAHAWKS,
    opponent=NINERS,
    event_id="401772810",
    date=datetime(2025, 11, 16, 21, 25, tzinfo=UTC),  # 1:25 PM in Seattle
    venue="Lumen Field",
    location="Seattle, WA",
    tv_network="FOX",
    friendly_name="Seahawks",
)


def _nfl_overtime() -> Timeline:
    g = NFL_GAME
    k = g.date
    m = timedelta(minutes=1)
    steps = (
        g.pre(k - 2 * 60 * m, odds="SEA -2.5", overunder=43.5),
        g.pre(k - 15 * m, odds="SEA -2.5", overunder=43.5),
        g.live(k + 1 * m, 0, 0, period=1, clock="15:00 - 1st"),
        g.live(
            k + 9 * m,
            7,
            0,
            period=1,
            clock="6:12 - 1st",
            last_play="K. Walker III 12 Yd Run (J. Myers Kick)",
        ),
        g.live(k + 25 * m, 7, 3, period=2, clock="11:40 - 2nd"),
        g.live(k + 50 * m, 7, 10, period=2, clock="0:31 - 2nd"),
        g.live(k + 58 * m, 7, 10, period=2, clock="Halftime"),
        g.live(k + 85 * m, 14, 10, period=3, clock="4:02 - 3rd"),
        g.live(k + 110 * m, 14, 17, period=4, clock="9:15 - 4th"),
        g.live(k + 128 * m, 20, 17, period=4, clock="1:58 - 4th"),
        g.live(k + 131 * m, 20, 20, period=4, clock="0:03 - 4th"),
        g.live(k + 134 * m, 20, 20, period=4, clock="End of 4th"),
        g.live(k + 140 * m, 20, 20, period=5, clock="10:00 - OT"),
        g.live(
            k + 147 * m,
            23,
            20,
            period=5,
            clock="4:21 - OT",
            last_play="J. Myers 41 Yd Field Goal",
        ),
        g.final(k + 148 * m, 23, 20, period=5, clock="Final/OT"),
    )
    return Timeline(
        "nfl_overtime",
        g,
        steps,
        "NFL: four quarters, level at the end of regulation, won by a field goal in "
        "overtime.",
        frozenset({"nfl", "overtime", "won"}),
    )


SOCCER_GAME: Final = Fixture(
    league="MLS",
    sport="soccer",
    league_path="usa.1",
    league_name="MLS",
    team=CREW,
    opponent=MONTREAL,
    event_id="623574",
    date=datetime(2025, 9, 13, 23, 30, tzinfo=UTC),
    home=False,
    venue="Stade Saputo",
    location="Montreal, Canada",
    tv_network="Apple TV",
    friendly_name="Crew",
)


def _soccer_tie() -> Timeline:
    g = SOCCER_GAME
    k = g.date
    m = timedelta(minutes=1)
    steps = (
        g.pre(k - 60 * m),
        g.live(k + 1 * m, 0, 0, period=1, clock="1'"),
        g.live(k + 24 * m, 0, 1, period=1, clock="23'", opponent_shots_on_target="2"),
        g.live(k + 48 * m, 0, 1, period=1, clock="HT"),
        g.live(
            k + 70 * m,
            1,
            1,
            period=2,
            clock="66'",
            last_play="66'  Goal - Header: Jonathan Mensah (CLB)",
        ),
        g.live(k + 97 * m, 1, 1, period=2, clock="90'+4'"),
        g.final(k + 99 * m, 1, 1, period=2, clock="FT"),
    )
    return Timeline(
        "soccer_tie",
        g,
        steps,
        "MLS: the team falls behind, equalises, the game ends level.",
        frozenset({"soccer", "tied"}),
    )


HOCKEY_GAME: Final = Fixture(
    league="NHL",
    sport="hockey",
    league_path="nhl",
    league_name="National Hockey League",
    team=ISLANDERS,
    opponent=FLYERS,
    event_id="401688402",
    date=datetime(2025, 12, 6, 0, 0, tzinfo=UTC),
    venue="UBS Arena",
    location="Elmont, NY",
    friendly_name="Islanders",
)


def _nhl_shootout() -> Timeline:
    g = HOCKEY_GAME
    k = g.date
    m = timedelta(minutes=1)
    steps = (
        g.pre(k - 10 * m),
        g.live(k + 2 * m, 0, 0, period=1, clock="20:00 - 1st"),
        g.live(k + 20 * m, 0, 1, period=1, clock="7:44 - 1st"),
        g.live(k + 55 * m, 1, 1, period=2, clock="12:03 - 2nd"),
        g.live(k + 80 * m, 2, 1, period=3, clock="15:10 - 3rd"),
        g.live(k + 104 * m, 2, 2, period=3, clock="0:48 - 3rd"),
        g.live(k + 106 * m, 2, 2, period=3, clock="End of 3rd"),
        g.live(k + 110 * m, 2, 2, period=4, clock="5:00 - OT"),
        g.live(k + 116 * m, 2, 2, period=5, clock="SO"),
        # The shoot-out's winner is credited one goal in the final score.
        g.final(k + 121 * m, 3, 2, period=5, clock="Final/SO"),
    )
    return Timeline(
        "nhl_shootout",
        g,
        steps,
        "NHL: three periods and overtime end level; the team wins the shoot-out.",
        frozenset({"nhl", "shootout", "won"}),
    )


BASEBALL_GAME: Final = Fixture(
    league="MLB",
    sport="baseball",
    league_path="mlb",
    league_name="Major League Baseball",
    team=BREWERS,
    opponent=GIANTS,
    event_id="401696214",
    date=datetime(2025, 9, 8, 0, 10, tzinfo=UTC),
    venue="American Family Field",
    location="Milwaukee, Wisconsin",
    friendly_name="Brewers",
)
YESTERDAY_BASEBALL_GAME: Final = BASEBALL_GAME.with_game(
    "401696200", datetime(2025, 9, 7, 0, 10, tzinfo=UTC)
)
TOMORROW_BASEBALL_GAME: Final = BASEBALL_GAME.with_game(
    "401696228", datetime(2025, 9, 8, 18, 10, tzinfo=UTC), opponent=CUBS, home=False
)


def _mlb_flips() -> Timeline:
    g = BASEBALL_GAME
    old = YESTERDAY_BASEBALL_GAME
    nxt = TOMORROW_BASEBALL_GAME
    k = g.date
    m = timedelta(minutes=1)
    steps = (
        old.final(k - 22 * 60 * m, 5, 2, period=9),
        g.pre(k - 30 * m),
        g.live(k + 3 * m, 0, 0, period=1, clock="Top 1st", outs=0, balls=0, strikes=0),
        g.live(k + 30 * m, 0, 2, period=2, clock="Top 2nd", outs=2),
        # ESPN's feed stumbles: yesterday's final, then today's game again.
        old.final(k + 31 * m, 5, 2, period=9),
        g.live(k + 32 * m, 0, 2, period=2, clock="Bottom 2nd", outs=0),
        g.live(k + 70 * m, 3, 2, period=4, clock="Bottom 4th", on_first=True),
        # Tomorrow's preview for a moment (#221), then today's game again.
        nxt.pre(k + 71 * m),
        g.live(k + 72 * m, 3, 2, period=4, clock="Bottom 4th", outs=1),
        g.live(k + 130 * m, 3, 3, period=7, clock="Top 7th", outs=2),
        old.final(k + 131 * m, 5, 2, period=9),
        g.live(k + 132 * m, 3, 3, period=7, clock="Middle 7th"),
        g.live(k + 175 * m, 3, 3, period=9, clock="Bottom 9th", outs=2, on_third=True),
        # A walk-off single: the winning run shows first with the end.
        g.final(k + 176 * m, 4, 3, period=9),
        # Right after the end, the next game's preview replaces the final (#342).
        nxt.pre(k + 186 * m),
    )
    return Timeline(
        "mlb_flips",
        g,
        steps,
        "MLB: a game that flips to yesterday's final and to tomorrow's preview "
        "and back, won by a walk-off run seen first with the end.",
        frozenset({"mlb", "flips", "stale", "won"}),
    )


def _bye_week() -> Timeline:
    g = NFL_GAME
    last_week = g.with_game("401772790", g.date - timedelta(days=7))
    next_week = g.with_game("401772830", g.date + timedelta(days=7))
    k = g.date
    steps = (
        last_week.final(k - timedelta(days=6, hours=20), 17, 24, period=4),
        g.bye(k - timedelta(days=4)),
        g.bye(k),
        g.bye(k + timedelta(days=1)),
        next_week.pre(k + timedelta(days=2)),
    )
    return Timeline(
        "bye_week",
        next_week,
        steps,
        "NFL: last week's loss, a week without a game, next week's preview.",
        frozenset({"nfl", "bye"}),
    )


def _doubleheader() -> Timeline:
    first = BASEBALL_GAME.with_game(
        "401696301", datetime(2025, 9, 13, 17, 10, tzinfo=UTC), opponent=CUBS
    )
    second = first.with_game("401696302", datetime(2025, 9, 13, 23, 10, tzinfo=UTC))
    m = timedelta(minutes=1)
    a, b = first.date, second.date
    steps = (
        first.pre(a - 60 * m),
        first.live(a + 5 * m, 0, 0, period=1, clock="Top 1st"),
        first.live(a + 40 * m, 0, 1, period=3, clock="Top 3rd"),
        first.live(a + 95 * m, 2, 1, period=6, clock="Bottom 6th"),
        first.live(a + 140 * m, 2, 4, period=9, clock="Top 9th"),
        first.final(a + 165 * m, 2, 4, period=9),
        second.pre(a + 175 * m),
        second.live(b + 4 * m, 0, 0, period=1, clock="Top 1st"),
        second.live(b + 50 * m, 1, 0, period=3, clock="Bottom 3rd"),
        # The first game's final shows once more during the second.
        first.final(b + 51 * m, 2, 4, period=9),
        second.live(b + 52 * m, 1, 0, period=3, clock="Bottom 3rd"),
        second.live(b + 150 * m, 6, 0, period=8, clock="Bottom 8th"),
        second.final(b + 170 * m, 6, 0, period=9),
    )
    return Timeline(
        "doubleheader",
        second,
        steps,
        "MLB: two games in a day, the first lost, the second won.",
        frozenset({"mlb", "doubleheader", "lost", "won"}),
    )


def _reconnect_reset() -> Timeline:
    g = HOCKEY_GAME
    k = g.date
    m = timedelta(minutes=1)
    emptied = {
        "team_score": "0",
        "opponent_score": "0",
        "last_play": None,
        "api_message": "Cached data",
    }
    steps = (
        g.pre(k - 5 * m),
        g.live(k + 2 * m, 0, 0, period=1, clock="20:00 - 1st"),
        g.live(k + 14 * m, 1, 0, period=1, clock="9:12 - 1st"),
        g.unavailable(k + 15 * m),
        # Back online: a reset to the preview at 0-0, then the game again.
        g.pre(k + 16 * m, **emptied),
        g.live(k + 16.1 * m, 1, 0, period=1, clock="8:01 - 1st"),
        g.not_found(k + 30 * m, "API error, no data returned"),
        g.live(k + 31 * m, 1, 1, period=1, clock="2:40 - 1st"),
        g.live(k + 60 * m, 2, 1, period=2, clock="10:00 - 2nd"),
        g.final(k + 140 * m, 2, 1, period=3),
        g.pre(k + 141 * m, **emptied),
        g.final(k + 142 * m, 2, 1, period=3),
    )
    return Timeline(
        "reconnect_reset",
        g,
        steps,
        "NHL: the connection drops; the game comes back as a 0-0 preview, as an "
        "API error, and falls back to the preview after the end (#269).",
        frozenset({"nhl", "glitch", "won"}),
    )


NFL_OVERTIME: Final = _nfl_overtime()
SOCCER_TIE: Final = _soccer_tie()
NHL_SHOOTOUT: Final = _nhl_shootout()
MLB_FLIPS: Final = _mlb_flips()
BYE_WEEK: Final = _bye_week()
DOUBLEHEADER: Final = _doubleheader()
RECONNECT_RESET: Final = _reconnect_reset()

TIMELINES: Final = {
    timeline.name: timeline
    for timeline in (
        NFL_OVERTIME,
        SOCCER_TIE,
        NHL_SHOOTOUT,
        MLB_FLIPS,
        BYE_WEEK,
        DOUBLEHEADER,
        RECONNECT_RESET,
    )
}
