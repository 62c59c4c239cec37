"""Following one team's games: TeamTracker's readings in, trustworthy moments out.

A `GameFollower` is fed every state of one TeamTracker sensor (`observe`) and,
where TeamTracker fires it, every `teamtracker.score_change` event of that sensor
(`score_event`). It remembers, per game, what it has announced: whether the game
was said to have started, the highest score of each side announced, whether the
result was sent. Everything else follows from these rules:

- A game is named by ESPN's event id, else by its start (`date`). A snapshot
  matches a known game by the event id when both have one, else by the start.
- `unavailable` and `unknown` never produce a moment, nor do `BYE`, `NOT_FOUND`,
  or a game without an id and a start.
- Stale data: a live or finished game that started before the last game seen
  live or finished is stale (TeamTracker falls back to yesterday's game when
  ESPN's feed stumbles) and is ignored as a whole.
- `game_started` when a game goes live while HA AI watches (after its `PRE`,
  after `BYE`, `NOT_FOUND` or another game, or known from the store), once per
  game: `IN → PRE → IN` and `IN → POST → IN` are one game that started once.
  `PRE` of a game already started or over is a glitch and is ignored. A game
  first seen over (or over before it was seen live) gets no start any more.
- `scored` / `opponent_scored` when a side's score rises above the highest score
  of that side announced for the game, `points` being the rise since the last
  reading. A lower score (a correction, stale data) is no moment, and a later
  return to a score already announced is none either: announced scores never
  go down. Scores are read from live snapshots and score events alike, so a
  score seen first in the event is not counted again when the state follows.
  Sports whose score is no running count (golf, racing, tennis, volleyball,
  cricket, mma) have no score moments.
- The final score is read in the `POST` snapshot too when the game's previous
  reading was live (a walk-off run shows first with the end), but not after a
  restart, when the rise may be long past: then only the result is sent.
- A live game that went unread for longer than `MAX_CATCH_UP` (the sensor
  unavailable, an API error, another game shown, a restart) comes back with
  its score taken as known: what was scored meanwhile is minutes old. A quiet
  spell in which the sensor writes no state (a half-time) is no such gap: only
  something else shown instead of the game, or a restart, starts one.
- `won` / `lost` / `tied` once per game, from the winner flags, else (both
  flags unset, a running-count sport) from the scores, a level score broken by
  the shoot-out tally; a `POST` that tells neither waits for the next one. A
  game seen before its end gets its result even if it was never seen live; a
  game first seen already over gets none; a game that returns from `POST` to
  `IN` keeps the result it got.
- The first snapshot after a start (or restore) that shows a game not known is
  the baseline: HA AI began watching then, so a live game gets no
  `game_started` and its score counts as announced.
- With a delay, moments are held until `due` (`next_due` says when). A reading
  below a held score withdraws it (it is never sent), and a return to `IN`
  withdraws a held result. Whatever the order moments come due in (a clock set
  back), a start, a result or a score already sent for the game is not sent
  again.

`as_dict` keeps what was announced per game and when it was last read live,
so that after a restart nothing sent is sent again, and what was held but not
sent is found again from the readings. `GameFollower.restore` reads it back
field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    aware_time,
    check_version,
    flag,
    mapping_or_unreadable,
    optional_text,
    record,
    required_text,
    section,
)
from .model import (
    MAX_ID_LENGTH,
    MAX_SCORE,
    RESULT_KINDS,
    GameSnapshot,
    GameState,
    Moment,
    MomentKind,
    parse_score,
)

STORE_VERSION: Final = 1
MAX_GAMES_KEPT: Final = 16
MAX_DELAY: Final = timedelta(minutes=10)
# A live game not read for longer than this (the sensor unavailable, an API
# error, another game shown, Home Assistant restarting) comes back with its
# score taken as known: a goal scored meanwhile is minutes old, and flashing the
# lights for it now would be the stale moment TeamTracker's users complain of.
MAX_CATCH_UP: Final = timedelta(minutes=3)
NO_DELAY: Final = timedelta(0)

_STORE = "the sports follower"
_GAME = "game"
_SCORE_KIND = {True: MomentKind.SCORED, False: MomentKind.OPPONENT_SCORED}


@dataclass(slots=True)
class GameRecord:
    """What HA AI announced for one game, and what it last read of it."""

    game_id: str
    event_id: str | None = None
    date: datetime | None = None
    started: bool = False  # no `game_started` any more
    final: bool = False  # no result any more
    team_score: int | None = None  # the highest team score announced or known
    opponent_score: int | None = None
    read_at: datetime | None = None  # when the game was last read live
    # What this run last read of the game, and since when it has not been read
    # live while it was followed; not stored.
    read_team: int | None = None
    read_opponent: int | None = None
    read_live: bool = False
    paused_at: datetime | None = None

    def matches(self, snapshot: GameSnapshot) -> bool:
        """Tell whether `snapshot` shows this game (by event id, else by start)."""
        if self.event_id is not None and snapshot.event_id is not None:
            return self.event_id == snapshot.event_id
        return self.date is not None and self.date == snapshot.date

    def mark(self, team: bool) -> int | None:  # noqa: FBT001 - the side
        """Return the highest score of a side announced or known."""
        return self.team_score if team else self.opponent_score

    def read(self, team: bool) -> int | None:  # noqa: FBT001 - the side
        """Return the score of a side read last in this run."""
        return self.read_team if team else self.read_opponent

    def set_mark(self, team: bool, score: int | None) -> None:  # noqa: FBT001
        """Set the highest score of a side announced or known."""
        if team:
            self.team_score = score
        else:
            self.opponent_score = score

    def set_read(self, team: bool, score: int) -> None:  # noqa: FBT001
        """Note the score of a side read last."""
        if team:
            self.read_team = score
        else:
            self.read_opponent = score

    def as_dict(self) -> dict[str, Any]:
        """Return what is kept across restarts, ready for JSON."""
        return {
            "game_id": self.game_id,
            "event_id": self.event_id,
            "date": None if self.date is None else self.date.isoformat(),
            "started": self.started,
            "final": self.final,
            "team_score": self.team_score,
            "opponent_score": self.opponent_score,
            "read_at": None if self.read_at is None else self.read_at.isoformat(),
        }


def bounded_delay(delay: timedelta) -> timedelta:
    """Return `delay` within 0 and `MAX_DELAY`."""
    return min(max(delay, NO_DELAY), MAX_DELAY)


def result_of(snapshot: GameSnapshot) -> MomentKind | None:
    """Return how a finished game ended for the team, or None when it cannot tell.

    The winner flags decide; when neither is set, a running-count sport's scores
    do (the shoot-out tally breaks a level score). Both flags set is no answer.
    """
    team, opponent = snapshot.team_winner, snapshot.opponent_winner
    if team is True and opponent is not True:
        return MomentKind.WON
    if opponent is True and team is not True:
        return MomentKind.LOST
    if team is True or not snapshot.counts_points:
        return None
    ours, theirs = snapshot.team_score, snapshot.opponent_score
    if ours is None or theirs is None:
        return None
    if ours == theirs and snapshot.team_shootout != snapshot.opponent_shootout:
        ours, theirs = snapshot.team_shootout or 0, snapshot.opponent_shootout or 0
    if ours > theirs:
        return MomentKind.WON
    if ours < theirs:
        return MomentKind.LOST
    return MomentKind.TIED


class GameFollower:
    """One team's games: readings in, each moment at most once per game out."""

    def __init__(self, team: str, delay: timedelta = NO_DELAY) -> None:
        """Follow the team whose topic segment is `team`, holding moments `delay`."""
        self.team = team
        self._delay = bounded_delay(delay)
        self._games: list[GameRecord] = []
        self._latest_played: datetime | None = None
        self._pending: list[Moment] = []
        self._current: GameSnapshot | None = None
        self._live = False
        self._watching = False
        self.notes: tuple[str, ...] = ()

    # Settings and what the Home Assistant side reads

    @property
    def delay(self) -> timedelta:
        """Return how long moments are held before they are due."""
        return self._delay

    @delay.setter
    def delay(self, delay: timedelta) -> None:
        """Hold moments `delay` from now on; held ones are due by the new delay."""
        self._delay = bounded_delay(delay)
        self._pending = sorted(
            (replace(m, due=m.at + self._delay) for m in self._pending),
            key=lambda m: m.due,
        )

    @property
    def next_due(self) -> datetime | None:
        """Return when the next held moment is due, or None when none is held."""
        return min((m.due for m in self._pending), default=None)

    @property
    def pending(self) -> tuple[Moment, ...]:
        """Return the moments held, the earliest due first."""
        return tuple(self._pending)

    @property
    def current(self) -> GameSnapshot | None:
        """Return the last snapshot of a game taken in (not stale, not a glitch)."""
        return self._current

    @property
    def games(self) -> tuple[GameRecord, ...]:
        """Return the games remembered, oldest first."""
        return tuple(self._games)

    # Readings

    def due(self, now: datetime) -> list[Moment]:
        """Return the held moments due at `now`, in order; they count as sent."""
        ready = [m for m in self._pending if m.due <= now]
        if not ready:
            return []
        self._pending = [m for m in self._pending if m.due > now]
        ready.sort(key=lambda m: m.due)
        return [m for m in ready if self._release(m)]

    def observe(self, snapshot: GameSnapshot) -> list[Moment]:
        """Take in one state of the sensor; return the moments to announce now.

        Held moments due at the snapshot's time come first.
        """
        moments = self.due(snapshot.at)
        notes: list[str] = []
        was_live = self._current if self._live else None
        moments += self._observe(snapshot, notes)
        if was_live is not None:
            self._note_pause(was_live, snapshot.at)
        self.notes = tuple(notes)
        return moments

    def _note_pause(self, was_live: GameSnapshot, at: datetime) -> None:
        """Note when the game read live until now stopped being read live."""
        game = self._game_of(was_live)
        current = self._current
        if game is None or (self._live and current and game.matches(current)):
            return
        game.paused_at = at

    def score_event(self, data: Mapping[str, object], at: datetime) -> list[Moment]:
        """Take in one `teamtracker.score_change` event; return the moments now.

        TeamTracker fires it before it writes the new state, so it counts for the
        game the sensor showed live last; when the sensor showed no live game it
        is left to the state that follows. The event's previous scores are not
        needed: what was announced is known here.
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("the time of a score event must be timezone-aware")
        moments = self.due(at)
        notes: list[str] = []
        moments += self._score_event(data, at, notes)
        self.notes = tuple(notes)
        return moments

    def _score_event(
        self, data: Mapping[str, object], at: datetime, notes: list[str]
    ) -> list[Moment]:
        current = self._current
        game = None if current is None or not self._live else self._game_of(current)
        if current is None or game is None:
            notes.append("score event while no game is live: the state will tell")
            return []
        raw: object = data  # an event's data is whatever its sender put in
        if not isinstance(raw, Mapping):
            notes.append("score event data is not an object: ignored")
            return []
        team, team_shootout = parse_score(raw.get("team_score"))
        opponent, opponent_shootout = parse_score(raw.get("opponent_score"))
        if team is None and opponent is None:
            notes.append("score event without a score: ignored")
            return []
        reading = replace(
            current,
            at=at,
            team_score=current.team_score if team is None else team,
            team_shootout=current.team_shootout if team is None else team_shootout,
            opponent_score=current.opponent_score if opponent is None else opponent,
            opponent_shootout=(
                current.opponent_shootout if opponent is None else opponent_shootout
            ),
            notes=(),
        )
        self._current = reading
        moments = self._read_scores(game, reading, notes, announce=True)
        game.read_at = at
        return moments

    def _observe(self, snapshot: GameSnapshot, notes: list[str]) -> list[Moment]:
        if not snapshot.is_game:
            self._live = False
            if snapshot.state in (GameState.UNAVAILABLE, GameState.UNKNOWN):
                notes.append(f"the sensor is {snapshot.state.value}: no moment")
            else:
                self._watching = True
            return []
        first = not self._watching
        self._watching = True
        if snapshot.game_id is None:
            self._live = False
            notes.append("the game has neither an event id nor a date: ignored")
            return []
        game = self._game_of(snapshot)
        if snapshot.state is GameState.PRE:
            self._live = False
            self._before_start(snapshot, game)
            return []
        if self._is_stale(snapshot, game):
            self._live = False
            notes.append("a game older than one already played: stale, ignored")
            return []
        if snapshot.state is GameState.IN:
            return self._in_play(snapshot, game, notes, first=first)
        return self._over(snapshot, game, notes)

    def _before_start(self, snapshot: GameSnapshot, game: GameRecord | None) -> None:
        if game is None:
            game = self._add(snapshot)
            # A game not begun stands at nothing to nothing: any score read live
            # later is a rise.
            game.team_score = game.opponent_score = 0
            game.read_team = game.read_opponent = 0
        elif not game.started and not game.final and snapshot.date is not None:
            game.date = snapshot.date  # a postponed game moves

    def _in_play(
        self,
        snapshot: GameSnapshot,
        game: GameRecord | None,
        notes: list[str],
        *,
        first: bool,
    ) -> list[Moment]:
        moments: list[Moment] = []
        if game is None:
            game = self._add(snapshot)
            game.team_score, game.opponent_score = (
                snapshot.team_score,
                snapshot.opponent_score,
            )
            # Live when HA AI began watching: it started before, unseen.
            game.started = first
        else:
            # A result held when the game goes on was no end.
            self._withdraw(game, RESULT_KINDS)
        self._take_date(game, snapshot)
        if not game.started and not self._holds(game, {MomentKind.GAME_STARTED}):
            moments += self._schedule(game, MomentKind.GAME_STARTED, snapshot)
        moments += self._read_scores(game, snapshot, notes, announce=True)
        game.read_live = True
        game.read_at = snapshot.at
        game.paused_at = None
        self._current = snapshot
        self._live = True
        return moments

    def _over(
        self, snapshot: GameSnapshot, game: GameRecord | None, notes: list[str]
    ) -> list[Moment]:
        self._live = False
        if game is None:
            game = self._add(snapshot)
            game.team_score, game.opponent_score = (
                snapshot.team_score,
                snapshot.opponent_score,
            )
            game.started = game.final = True
            self._take_date(game, snapshot)
            notes.append("the game was over when first seen: no result")
            return []
        self._take_date(game, snapshot)
        moments = self._read_scores(game, snapshot, notes, announce=game.read_live)
        game.read_live = False
        if not self._holds(game, {MomentKind.GAME_STARTED}):
            game.started = True  # no start is announced after an end
        self._current = snapshot
        if game.final or self._holds(game, RESULT_KINDS):
            return moments
        kind = result_of(snapshot)
        if kind is None:
            notes.append("the result is not told by the flags or scores: waiting")
            return moments
        return moments + self._schedule(game, kind, snapshot)

    def _read_scores(
        self,
        game: GameRecord,
        reading: GameSnapshot,
        notes: list[str],
        *,
        announce: bool,
    ) -> list[Moment]:
        """Return the score moments of a reading; note what was read.

        Without `announce`, or after the game went unread for longer than
        `MAX_CATCH_UP`, a rise is taken as known and not announced.
        """
        if not reading.counts_points:
            return []
        paused = game.paused_at
        if announce and paused is not None and reading.at - paused > MAX_CATCH_UP:
            announce = False
            notes.append(
                "the game was not read live for a while: scores taken as known"
            )
        moments: list[Moment] = []
        for team in (True, False):
            score = reading.team_score if team else reading.opponent_score
            if score is None:
                continue
            kind = _SCORE_KIND[team]
            self._withdraw_above(game, team, score)
            mark = self._mark(game, team)
            last = game.read(team)
            game.set_read(team, score)
            if mark is None or (score > mark and not announce):
                game.set_mark(team, score)
            elif score > mark:
                base = last if last is not None and last < score else mark
                moments += self._schedule(game, kind, reading, points=score - base)
        return moments

    # Announcing

    def _schedule(
        self,
        game: GameRecord,
        kind: MomentKind,
        snapshot: GameSnapshot,
        points: int | None = None,
    ) -> list[Moment]:
        moment = Moment.of(
            kind,
            snapshot,
            team=self.team,
            delay=self._delay,
            points=points,
            game_id=game.game_id,
        )
        if self._delay > NO_DELAY:
            self._pending.append(moment)
            return []
        return [moment] if self._release(moment) else []

    def _release(self, moment: Moment) -> bool:
        """Count `moment` as sent; False when its game has it already."""
        game = next((g for g in self._games if g.game_id == moment.game_id), None)
        if game is None:
            return True
        if moment.kind is MomentKind.GAME_STARTED:
            if game.started:
                return False
            game.started = True
        elif moment.kind in RESULT_KINDS:
            if game.final:
                return False
            game.started = game.final = True
        else:
            team = moment.kind is MomentKind.SCORED
            score = _side(moment, team)
            mark = game.mark(team)
            if mark is not None and score <= mark:
                return False
            game.set_mark(team, score)
        return True

    def _holds(self, game: GameRecord, kinds: Iterable[MomentKind]) -> bool:
        kinds = frozenset(kinds)
        return any(m.game_id == game.game_id and m.kind in kinds for m in self._pending)

    def _withdraw(self, game: GameRecord, kinds: Iterable[MomentKind]) -> None:
        """Drop the held moments of `kinds` of the game."""
        kinds = frozenset(kinds)
        self._pending = [
            m
            for m in self._pending
            if not (m.game_id == game.game_id and m.kind in kinds)
        ]

    def _withdraw_above(self, game: GameRecord, team: bool, score: int) -> None:  # noqa: FBT001
        """Drop the held scores of a side above `score`: the feed withdrew them."""
        kind = _SCORE_KIND[team]
        self._pending = [
            m
            for m in self._pending
            if not (
                m.game_id == game.game_id and m.kind is kind and _side(m, team) > score
            )
        ]

    def _mark(self, game: GameRecord, team: bool) -> int | None:  # noqa: FBT001
        """Return the highest score of a side announced, known or held."""
        kind = _SCORE_KIND[team]
        scores = [
            _side(m, team)
            for m in self._pending
            if m.game_id == game.game_id and m.kind is kind
        ]
        mark = game.mark(team)
        if mark is not None:
            scores.append(mark)
        return max(scores, default=None)

    # Games

    def _game_of(self, snapshot: GameSnapshot) -> GameRecord | None:
        for game in reversed(self._games):
            if game.matches(snapshot):
                if game.event_id is None and snapshot.event_id is not None:
                    game.event_id = snapshot.event_id
                return game
        return None

    def _add(self, snapshot: GameSnapshot) -> GameRecord:
        game_id = snapshot.game_id
        if game_id is None:  # checked before; keeps the type exact
            raise ValueError("a game needs an event id or a date")
        game = GameRecord(game_id, event_id=snapshot.event_id, date=snapshot.date)
        self._games.append(game)
        del self._games[:-MAX_GAMES_KEPT]
        return game

    def _is_stale(self, snapshot: GameSnapshot, game: GameRecord | None) -> bool:
        latest = self._latest_played
        if latest is None or snapshot.date is None:
            return False
        if game is not None and game.date == latest:
            return False  # the game played last, even if its start was corrected
        return snapshot.date < latest

    def _take_date(self, game: GameRecord, snapshot: GameSnapshot) -> None:
        """Note the start of a game seen live or over: the newest played so far."""
        if snapshot.date is None:
            return
        latest = self._latest_played
        was_latest = latest is not None and game.date == latest
        game.date = snapshot.date
        if latest is None or was_latest or snapshot.date > latest:
            self._latest_played = snapshot.date

    # Restarts

    def as_dict(self) -> dict[str, Any]:
        """Return what was announced per game, ready for JSON (what the store keeps)."""
        latest = self._latest_played
        return {
            "version": STORE_VERSION,
            "latest_played": None if latest is None else latest.isoformat(),
            "games": [game.as_dict() for game in self._games],
        }

    @classmethod
    def restore(
        cls, data: object, *, team: str, delay: timedelta = NO_DELAY
    ) -> Restored[GameFollower]:
        """Return a follower from what `as_dict` stored, each game checked.

        A game with a bad id is dropped; a bad optional field is reset (a score
        reset is read again as known from the next reading, so it is not sent
        twice). Raises `UnreadableStoreError` when `data` is not that shape.
        """
        stored = mapping_or_unreadable(data, _STORE)
        check_version(stored, STORE_VERSION, _STORE)
        items = section(stored, "games", list, _STORE)
        drops = Drops()
        follower = cls(team, delay)
        latest = stored.get("latest_played")
        follower._latest_played = aware_time(latest)
        if follower._latest_played is None and latest is not None:
            drops.reset_field(_STORE, "latest_played")
        if len(items) > MAX_GAMES_KEPT:
            drops.drop(_GAME, "more games than are kept", len(items) - MAX_GAMES_KEPT)
        games: dict[str, GameRecord] = {}
        for item in items[-MAX_GAMES_KEPT:]:
            try:
                game = _restored_game(record(item), drops)
            except BadRecordError as err:
                drops.drop(_GAME, str(err))
                continue
            if game.game_id in games:
                drops.drop(_GAME, "a second record of one game")
                del games[game.game_id]
            games[game.game_id] = game
        follower._games = list(games.values())
        return Restored(follower, drops)


def _side(moment: Moment, team: bool) -> int:  # noqa: FBT001 - the side
    score = moment.team_score if team else moment.opponent_score
    return -1 if score is None else score


def _restored_game(item: Mapping[str, object], drops: Drops) -> GameRecord:
    game_id = required_text(item, "game_id")
    if len(game_id) > MAX_ID_LENGTH:
        raise BadRecordError("game_id is too long")
    event_id = optional_text(item, "event_id", drops, _GAME)
    if event_id is not None and not 0 < len(event_id) <= MAX_ID_LENGTH:
        drops.reset_field(_GAME, "event_id")
        event_id = None
    date = aware_time(item.get("date"))
    if date is None and item.get("date") is not None:
        drops.reset_field(_GAME, "date")
    if event_id is None and date is None:
        raise BadRecordError("names no game (no event id, no date)")
    read_at = aware_time(item.get("read_at"))
    if read_at is None and item.get("read_at") is not None:
        drops.reset_field(_GAME, "read_at")
    return GameRecord(
        game_id=game_id,
        event_id=event_id,
        date=date,
        started=flag(item, "started", False, drops, _GAME),  # noqa: FBT003
        final=flag(item, "final", False, drops, _GAME),  # noqa: FBT003
        team_score=_stored_score(item, "team_score", drops),
        opponent_score=_stored_score(item, "opponent_score", drops),
        read_at=read_at,
        # A restart is a pause since the last live reading before it.
        paused_at=read_at,
    )


def _stored_score(item: Mapping[str, object], key: str, drops: Drops) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_SCORE
    ):
        drops.reset_field(_GAME, key)
        return None
    return value
