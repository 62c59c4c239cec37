"""One TeamTracker sensor read defensively, and the moments HA AI announces.

TeamTracker (`vasqued2/ha-teamtracker`) shows one game of one team per sensor. Its
state is `PRE`, `IN`, `POST`, `BYE` or `NOT_FOUND`, to which Home Assistant adds
`unavailable` and `unknown`; its attributes carry the game, as TeamTracker writes
them:

- `team_score` / `opponent_score`: text (`"3"`), a number for a few sports, `"3(4)"`
  after a shoot-out (the shoot-out tally in brackets), `""` or null before a game,
  free text for cricket (`"155/6"`), a score against par for golf (`"-4"`).
- `team_winner` / `opponent_winner`: true or false, null until the end (soccer
  shows false throughout the game).
- `quarter`: the period as a number (a session's name for racing); `clock`: ESPN's
  short detail (`"4:15 - 4th"`, `"Halftime"`, `"Bot 6th"`, `"69'"`, `"Final/OT"`).
- `date`: the start, ISO 8601 in UTC to the minute (`"2022-09-08T22:45Z"`);
  `event_id` (newer releases): ESPN's id of the game.

`GameSnapshot.from_state` reads all this so that nothing in it can raise, and every
value it keeps is bounded: a score is a whole number from 0 to `MAX_SCORE` or None,
a text loses control and invisible characters and is cut at its limit, a colour is
`#rrggbb`. What it had to leave out is listed in `notes`, fit for a log line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from ..log_text import log_safe

MAX_SCORE: Final = 9_999
MAX_NAME_LENGTH: Final = 100
MAX_ABBR_LENGTH: Final = 24
MAX_LEAGUE_LENGTH: Final = 40
MAX_CLOCK_LENGTH: Final = 64
MAX_PERIOD: Final = 999
MAX_ID_LENGTH: Final = 64
MAX_COLORS: Final = 2
_MAX_NUMBER_TEXT: Final = 32
_MAX_TIME_TEXT: Final = 64
ELLIPSIS: Final = "…"

# Sports whose score is not a running count of points: golf (against par),
# racing (a position), tennis and volleyball (points of the set in play), cricket
# (runs and wickets as text), mma (judges' cards). Their games start and end, but
# a rise of their `team_score` is not the team scoring.
UNCOUNTED_SPORTS: Final = frozenset(
    {"golf", "racing", "tennis", "volleyball", "cricket", "mma"}
)

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff]"
)
_WHITE_SPACE = re.compile(r"\s+")
_SCORE_TEXT = re.compile(r"\s*([0-9]{1,6})\s*(?:\(\s*([0-9]{1,6})\s*\))?\s*")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class GameState(StrEnum):
    """The state of a TeamTracker sensor, with Home Assistant's two of its own."""

    PRE = "PRE"
    IN = "IN"
    POST = "POST"
    BYE = "BYE"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


GAME_STATES: Final = frozenset({GameState.PRE, GameState.IN, GameState.POST})
_TEAMTRACKER_STATES: Final = {
    state.value: state
    for state in (
        GameState.PRE,
        GameState.IN,
        GameState.POST,
        GameState.BYE,
        GameState.NOT_FOUND,
    )
}


class MomentKind(StrEnum):
    """What happened; the value is the last segment of the moment's topic."""

    GAME_STARTED = "game_started"
    SCORED = "scored"
    OPPONENT_SCORED = "opponent_scored"
    WON = "won"
    LOST = "lost"
    TIED = "tied"


RESULT_KINDS: Final = frozenset({MomentKind.WON, MomentKind.LOST, MomentKind.TIED})
SCORE_KINDS: Final = frozenset({MomentKind.SCORED, MomentKind.OPPONENT_SCORED})


@dataclass(frozen=True, slots=True)
class GameSnapshot:
    """What one TeamTracker sensor showed at one time, checked and bounded."""

    state: GameState
    at: datetime  # when Home Assistant saw it, timezone-aware
    league: str | None = None
    league_path: str | None = None
    sport: str | None = None
    event_id: str | None = None
    date: datetime | None = None  # the game's start, timezone-aware
    team_abbr: str | None = None
    team_name: str | None = None
    opponent_abbr: str | None = None
    opponent_name: str | None = None
    team_score: int | None = None
    opponent_score: int | None = None
    team_shootout: int | None = None
    opponent_shootout: int | None = None
    team_winner: bool | None = None
    opponent_winner: bool | None = None
    period: int | str | None = None
    clock: str | None = None
    team_colors: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_state(
        cls, state: str, attributes: Mapping[str, object], at: datetime
    ) -> GameSnapshot:
        """Read a sensor's state and attributes; never raises on what they hold.

        `at` must be timezone-aware (a programming error otherwise).
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("the time of a snapshot must be timezone-aware")
        notes: list[str] = []
        raw: object = attributes  # a state's attributes are whatever was written
        if not isinstance(raw, Mapping):
            notes.append(f"attributes are {type(raw).__name__}; ignored")
            attributes = {}
        team_score, team_shootout = _score(attributes, "team_score", notes)
        opponent_score, opponent_shootout = _score(attributes, "opponent_score", notes)
        return cls(
            state=parse_state(state, notes),
            at=at,
            league=_text(attributes, "league", MAX_LEAGUE_LENGTH, notes),
            league_path=_text(attributes, "league_path", MAX_LEAGUE_LENGTH, notes),
            sport=_sport(attributes, notes),
            event_id=_event_id(attributes, notes),
            date=_date(attributes, notes),
            team_abbr=_text(attributes, "team_abbr", MAX_ABBR_LENGTH, notes),
            team_name=_text(attributes, "team_name", MAX_NAME_LENGTH, notes),
            opponent_abbr=_text(attributes, "opponent_abbr", MAX_ABBR_LENGTH, notes),
            opponent_name=_text(attributes, "opponent_name", MAX_NAME_LENGTH, notes),
            team_score=team_score,
            opponent_score=opponent_score,
            team_shootout=team_shootout,
            opponent_shootout=opponent_shootout,
            team_winner=_flag(attributes, "team_winner", notes),
            opponent_winner=_flag(attributes, "opponent_winner", notes),
            period=_period(attributes, notes),
            clock=_text(attributes, "clock", MAX_CLOCK_LENGTH, notes),
            team_colors=_colors(attributes, notes),
            notes=tuple(notes),
        )

    @property
    def is_game(self) -> bool:
        """Tell whether the sensor shows a game (before, during or after it)."""
        return self.state in GAME_STATES

    @property
    def counts_points(self) -> bool:
        """Tell whether the scores are running counts, so a rise is a score."""
        return self.sport not in UNCOUNTED_SPORTS

    @property
    def game_id(self) -> str | None:
        """Return the id that names the game: ESPN's event id, else its start."""
        if self.event_id is not None:
            return self.event_id
        if self.date is not None:
            return self.date.astimezone(UTC).isoformat()
        return None

    @property
    def team_label(self) -> str | None:
        """Return the team's name for people: its name, else its abbreviation."""
        return self.team_name or self.team_abbr

    @property
    def opponent_label(self) -> str | None:
        """Return the opponent's name for people: its name, else its abbreviation."""
        return self.opponent_name or self.opponent_abbr


@dataclass(frozen=True, slots=True)
class Moment:
    """One moment of a game: everything its MQTT message and event entity need."""

    kind: MomentKind
    team: str  # the team's slug, the `<team>` segment of the topic
    game_id: str
    at: datetime  # when the moment was seen
    due: datetime  # when it may be announced (`at` plus the team's delay)
    team_name: str | None = None
    team_abbr: str | None = None
    opponent: str | None = None
    opponent_abbr: str | None = None
    team_score: int | None = None
    opponent_score: int | None = None
    points: int | None = None  # how much the score rose (scores only)
    team_shootout: int | None = None
    opponent_shootout: int | None = None
    team_winner: bool | None = None  # results only
    opponent_winner: bool | None = None
    period: int | str | None = None
    clock: str | None = None
    league: str | None = None
    date: datetime | None = None
    team_colors: tuple[str, ...] = ()

    @classmethod
    def of(  # noqa: PLR0913 - the moment, its game, and what the follower adds
        cls,
        kind: MomentKind,
        snapshot: GameSnapshot,
        *,
        team: str,
        delay: timedelta,
        points: int | None = None,
        game_id: str | None = None,
    ) -> Moment:
        """Return the moment `kind` of the game `snapshot` shows.

        `game_id` names the game when the follower knows it by an id the snapshot
        does not carry (an id seen earlier in the game); else the snapshot's own.
        """
        game_id = game_id or snapshot.game_id
        if game_id is None:
            raise ValueError("a moment needs a game with an id or a date")
        result = kind in RESULT_KINDS
        return cls(
            kind=kind,
            team=team,
            game_id=game_id,
            at=snapshot.at,
            due=snapshot.at + delay,
            team_name=snapshot.team_label,
            team_abbr=snapshot.team_abbr,
            opponent=snapshot.opponent_label,
            opponent_abbr=snapshot.opponent_abbr,
            team_score=snapshot.team_score,
            opponent_score=snapshot.opponent_score,
            points=points,
            team_shootout=snapshot.team_shootout,
            opponent_shootout=snapshot.opponent_shootout,
            team_winner=snapshot.team_winner if result else None,
            opponent_winner=snapshot.opponent_winner if result else None,
            period=snapshot.period,
            clock=snapshot.clock,
            league=snapshot.league,
            date=snapshot.date,
            team_colors=snapshot.team_colors,
        )

    @property
    def path(self) -> tuple[str, ...]:
        """Return the topic's segments under the namespace's prefix."""
        return ("events", "sports", self.team, self.kind.value)

    def payload(self) -> dict[str, Any]:
        """Return the message's own fields, JSON-ready (the envelope is added apart).

        Every field is always there, null where it does not apply, so that an
        automation's template reads the same keys from every moment.
        """
        return {
            "moment": self.kind.value,
            "team": self.team,
            "team_name": self.team_name,
            "team_abbr": self.team_abbr,
            "opponent": self.opponent,
            "opponent_abbr": self.opponent_abbr,
            "team_score": self.team_score,
            "opponent_score": self.opponent_score,
            "points": self.points,
            "team_shootout": self.team_shootout,
            "opponent_shootout": self.opponent_shootout,
            "team_winner": self.team_winner,
            "opponent_winner": self.opponent_winner,
            "period": self.period,
            "clock": self.clock,
            "league": self.league,
            "game_id": self.game_id,
            "date": None if self.date is None else self.date.isoformat(),
            "team_colors": list(self.team_colors),
        }


# Reading the attributes


def parse_state(value: object, notes: list[str] | None = None) -> GameState:
    """Return the sensor's state; anything not known is `unknown` (with a note)."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == GameState.UNAVAILABLE:
            return GameState.UNAVAILABLE
        if text.lower() == GameState.UNKNOWN:
            return GameState.UNKNOWN
        known = _TEAMTRACKER_STATES.get(text.upper())
        if known is not None:
            return known
    if notes is not None:
        notes.append(f"state {_shown(value)} is not one of TeamTracker's; unknown")
    return GameState.UNKNOWN


def plain_text(value: str, limit: int) -> str:
    """Return `value` on one line, without control or invisible characters, cut.

    Only the first characters are looked at (a few times the limit), so a huge
    text costs no more than a short one. A cut text ends with an ellipsis.
    """
    text = value[: limit * 4 + 16]
    text = _WHITE_SPACE.sub(" ", _UNSAFE.sub(" ", text)).strip()
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def parse_score(value: object) -> tuple[int | None, int | None]:
    """Return a score and its shoot-out tally; None for what is not a score.

    A score is a whole number from 0 to `MAX_SCORE`, as a number or as text;
    `"3(4)"` is 3 with a shoot-out tally of 4. Negative numbers (golf), fractions,
    booleans and other texts (cricket's `"155/6"`) are no score.
    """
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return (value if 0 <= value <= MAX_SCORE else None), None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_SCORE:
            return int(value), None
        return None, None
    if not isinstance(value, str) or len(value) > _MAX_NUMBER_TEXT:
        return None, None
    match = _SCORE_TEXT.fullmatch(value)
    if match is None:
        return None, None
    score = int(match.group(1))
    shootout = None if match.group(2) is None else int(match.group(2))
    if score > MAX_SCORE or (shootout is not None and shootout > MAX_SCORE):
        return None, None
    return score, shootout


def parse_flag(value: object) -> bool | None:
    """Return a winner flag: a bool, or the texts `true`/`false`; None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def parse_date(value: object) -> datetime | None:
    """Return a game's start from ISO 8601 text (UTC when it names no zone)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= _MAX_TIME_TEXT:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _text(
    attributes: Mapping[str, object], key: str, limit: int, notes: list[str]
) -> str | None:
    value = attributes.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        notes.append(f"{key} is {type(value).__name__}, not text; ignored")
        return None
    return plain_text(value, limit) or None


def _sport(attributes: Mapping[str, object], notes: list[str]) -> str | None:
    sport = _text(attributes, "sport", MAX_LEAGUE_LENGTH, notes)
    if sport is None:
        sport = _text(attributes, "sport_path", MAX_LEAGUE_LENGTH, notes)
    return None if sport is None else sport.lower()


def _event_id(attributes: Mapping[str, object], notes: list[str]) -> str | None:
    value = attributes.get("event_id")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        notes.append(f"event_id is {type(value).__name__}; ignored")
        return None
    text = plain_text(str(value), MAX_ID_LENGTH * 2)
    if not text or len(text) > MAX_ID_LENGTH:
        notes.append(f"event_id {_shown(value)} is empty or too long; ignored")
        return None
    return text


def _date(attributes: Mapping[str, object], notes: list[str]) -> datetime | None:
    value = attributes.get("date")
    if value is None:
        return None
    date = parse_date(value)
    if date is None:
        notes.append(f"date {_shown(value)} is not an ISO 8601 time; ignored")
    return date


def _score(
    attributes: Mapping[str, object], key: str, notes: list[str]
) -> tuple[int | None, int | None]:
    value = attributes.get(key)
    score, shootout = parse_score(value)
    if score is None and value not in (None, ""):
        notes.append(f"{key} {_shown(value)} is not a score; ignored")
    return score, shootout


def _flag(attributes: Mapping[str, object], key: str, notes: list[str]) -> bool | None:
    value = attributes.get(key)
    flag = parse_flag(value)
    if flag is None and value is not None:
        notes.append(f"{key} {_shown(value)} is not true or false; ignored")
    return flag


def _period(attributes: Mapping[str, object], notes: list[str]) -> int | str | None:
    value = attributes.get("quarter")
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_PERIOD:
            return value
    elif isinstance(value, str):
        text = plain_text(value, MAX_ABBR_LENGTH)
        if text.isascii() and text.isdigit():
            number = int(text)
            return number if number <= MAX_PERIOD else None
        return text or None
    notes.append(f"quarter {_shown(value)} is not a period; ignored")
    return None


def _colors(attributes: Mapping[str, object], notes: list[str]) -> tuple[str, ...]:
    value = attributes.get("team_colors")
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        notes.append(f"team_colors is {type(value).__name__}, not a list; ignored")
        return ()
    colors = tuple(
        item.lower()
        for item in value[:MAX_COLORS]
        if isinstance(item, str) and _COLOR.fullmatch(item)
    )
    if len(colors) != min(len(value), MAX_COLORS):
        notes.append("team_colors holds something other than #rrggbb; left out")
    return colors


def _shown(value: object) -> str:
    """Return a value as a short text for a note, safe for a log line."""
    return log_safe(repr(value)[:80], 60)
