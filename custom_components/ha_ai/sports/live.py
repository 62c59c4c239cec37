"""Follows the TeamTracker teams live and announces their moments.

Each followed team's sensor is heard through one `async_track_state_change_event`
for all of them (subscribed again when the set of teams changes), and
TeamTracker's `teamtracker.score_change` event through one bus listener. Every
state of a sensor, an attribute change too, goes to the team's
`GameFollower` (the engine's rules: a live game unread for three minutes is
told apart from a quiet spell only by seeing every reading). What it returns is
published at once on `<prefix>/events/sports/<team>/<moment>` and fired by the
team's event entity; moments held back by the team's delay are released by one
timer, set for the earliest `next_due` of all teams.

Teams are found in the entity registry (`teams.found_teams`), again whenever a
TeamTracker sensor is added, removed, renamed, enabled or disabled, so a team
added later is followed without a restart. A team gets its topic segment (its
slug, `engine.sports.slug`) the first time its sensor names its league and the
team; the slug is stored and held from then on, so the topic never moves.

The store (`ha_ai.sports`) keeps, per team, its slug, its name and what its
follower announced (`GameFollower.as_dict`): after a restart nothing sent is
sent again, and a game that went on meanwhile is picked up from the sensor's
state. A team record that cannot be read is dropped (logged, counted in the
diagnostics) and the team starts afresh: its first reading is then taken as
known, so nothing is announced twice.

Each followed team is a device with two entities; a team no longer followed
(unticked in the options, or its sensor removed) loses its device.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from ..bus.mqtt_bus import MqttBus
from ..const import DOMAIN, LOGGER
from ..engine.log_text import log_safe
from ..engine.sports.follower import MAX_CATCH_UP, GameFollower
from ..engine.sports.model import (
    MAX_NAME_LENGTH,
    GameSnapshot,
    GameState,
    Moment,
    plain_text,
)
from ..engine.sports.slug import TeamIdentity, assign_slugs, is_team_slug
from ..engine.stored import (
    BadRecordError,
    Drops,
    Restored,
    UnreadableStoreError,
    check_version,
    mapping_or_unreadable,
    record,
    section,
)
from ..signals import entry_signal
from ..stored_part import PartStore
from .teams import (
    SCORE_CHANGE_EVENT,
    FoundTeam,
    SportsSettings,
    found_teams,
    is_team_sensor,
)

STORE_VERSION: Final = 1
SPORTS_STORE_KEY: Final = f"{DOMAIN}.sports"
# Readings change what is stored every few seconds during a game: written this
# long after a change. A moment is written at once.
SAVE_DELAY: Final = 10.0
TEAM_IDENTIFIER_PREFIX: Final = "team_"
# The last notes of each team (odd attributes, ignored readings), for diagnostics.
MAX_NOTES: Final = 5
_STORE = "the sports store"
_TEAM = "team"
NOT_SHOWN: Final = frozenset({GameState.UNAVAILABLE, GameState.UNKNOWN})


def team_signal(entry_id: str, unique_id: str) -> SignalType[Moment | None]:
    """Return the signal sent on each change of a team; it carries a new moment."""
    return SignalType(entry_signal(entry_id, f"team_{unique_id}"))


def new_team_signal(entry_id: str) -> SignalType[str]:
    """Return the signal sent with the unique id of each team followed anew."""
    return SignalType(entry_signal(entry_id, "new_team"))


def team_identifier(unique_id: str) -> tuple[str, str]:
    """Return the device registry identifier of the team of this sensor."""
    return (DOMAIN, f"{TEAM_IDENTIFIER_PREFIX}{unique_id}")


def team_unique_id_of(device: dr.DeviceEntry) -> str | None:
    """Return the sensor unique id of the team a device stands for, or None."""
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(TEAM_IDENTIFIER_PREFIX):
            return identifier.removeprefix(TEAM_IDENTIFIER_PREFIX)
    return None


def team_identity(snapshot: GameSnapshot) -> TeamIdentity | None:
    """Return what names the team in its slug, or None before the sensor tells.

    The league is needed (a `BYE` reading has none): `SEA` alone is four teams.
    """
    if not (snapshot.league or snapshot.league_path):
        return None
    if not (snapshot.team_abbr or snapshot.team_name):
        return None
    return TeamIdentity(
        league=snapshot.league,
        abbr=snapshot.team_abbr,
        name=snapshot.team_name,
        league_path=snapshot.league_path,
    )


def shown_game(
    shown: GameSnapshot | None, snapshot: GameSnapshot, follower: GameFollower
) -> GameSnapshot | None:
    """Return what the game sensor shows after `snapshot` was taken in.

    The readings the follower took in, and the sensor's bye or lack of a game;
    not its glitches: `unavailable`, a game older than one played (the follower
    did not take it in), a preview of a game already played, a preview of
    another game while a game is live (unless that game has not been read live
    for `MAX_CATCH_UP`: then it is over, unseen), an API error (`NOT_FOUND`)
    during a live game.
    """
    state = snapshot.state
    if state in NOT_SHOWN or (snapshot.is_game and snapshot.game_id is None):
        return shown
    live = shown is not None and shown.state is GameState.IN
    if state is GameState.BYE:
        return snapshot
    if state is GameState.NOT_FOUND:
        return shown if live else snapshot
    if state is GameState.PRE:
        if live and shown is not None and snapshot.at - shown.at <= MAX_CATCH_UP:
            return shown
        game = next((g for g in reversed(follower.games) if g.matches(snapshot)), None)
        return shown if game is not None and (game.started or game.final) else snapshot
    if follower.current is snapshot or shown is None or not shown.is_game:
        return snapshot
    return shown


@dataclass(frozen=True, slots=True)
class StoredTeam:
    """What the store kept of one team."""

    slug: str
    name: str | None
    follower: GameFollower | None


def restore_sports_store(
    data: object, *, settings: SportsSettings
) -> Restored[dict[str, StoredTeam]]:
    """Return each team the store kept; a team that cannot be read is left out.

    A team whose follower cannot be read keeps its slug (its topic) and starts
    afresh. Two teams holding one slug (a file edited by hand) cannot both keep
    it: the second is left out and gets a slug of its own.
    """
    stored = mapping_or_unreadable(data, _STORE)
    check_version(stored, STORE_VERSION, _STORE)
    items = section(stored, "teams", dict, _STORE)
    drops = Drops()
    teams: dict[str, StoredTeam] = {}
    taken: set[str] = set()
    for unique_id, item in sorted(items.items()):
        try:
            team = _restored_team(unique_id, item, settings, drops)
        except BadRecordError as err:
            drops.drop(_TEAM, str(err))
            continue
        if team.slug in taken:
            drops.drop(_TEAM, "its slug is held by another team")
            continue
        taken.add(team.slug)
        teams[unique_id] = team
    return Restored(teams, drops)


def _restored_team(
    unique_id: str, item: object, settings: SportsSettings, drops: Drops
) -> StoredTeam:
    fields = record(item)
    slug = fields.get("slug")
    if not is_team_slug(slug):
        raise BadRecordError("slug is not a safe topic segment")
    name = fields.get("name")
    if name is not None and not isinstance(name, str):
        drops.reset_field(_TEAM, "name")
        name = None
    follower = None
    if (stored := fields.get("follower")) is not None:
        try:
            restored = GameFollower.restore(
                stored, team=slug, delay=settings.delay_of(unique_id)
            )
        except UnreadableStoreError as err:
            drops.drop("team follower", f"{err}; the team starts afresh")
        else:
            follower = restored.value
            for key, count in restored.drops.dropped.items():
                drops.dropped[key] = drops.dropped.get(key, 0) + count
            for key, count in restored.drops.reset.items():
                drops.reset[key] = drops.reset.get(key, 0) + count
    if name:
        name = plain_text(name, MAX_NAME_LENGTH) or None
    return StoredTeam(slug=slug, name=name or None, follower=follower)


@dataclass(slots=True)
class FollowedTeam:
    """One followed team: its sensor, its follower, what its entities show."""

    unique_id: str
    entity_id: str
    name: str
    delay: timedelta
    follower: GameFollower | None = None  # made once the team's slug is known
    shown: GameSnapshot | None = None
    last_moment: Moment | None = None
    sent: Counter[str] = field(default_factory=Counter)
    notes: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_NOTES))

    @property
    def slug(self) -> str | None:
        """Return the team's topic segment, or None until the sensor named it."""
        return self.follower.team if self.follower is not None else None


class SportsLive:
    """The followed teams' moments: on the bus, by their entities, in a store."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        settings: SportsSettings,
    ) -> None:
        """Prepare; nothing is read before `async_start`, nor followed before."""
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.settings = settings
        self.found: dict[str, FoundTeam] = {}
        self.teams: dict[str, FollowedTeam] = {}
        self.slugs: dict[str, str] = {}  # held by every team found, followed or not
        self._stored: dict[str, StoredTeam] = {}
        self._names: dict[str, str] = {}  # the teams' names, kept with their slugs
        self._by_entity: dict[str, str] = {}
        self._following = False
        self._unsubscribe_states: CALLBACK_TYPE | None = None
        self._timer: CALLBACK_TYPE | None = None
        self._timer_at: datetime | None = None
        self._store = PartStore(
            hass,
            entry,
            SPORTS_STORE_KEY,
            STORE_VERSION,
            self._store_data,
            SAVE_DELAY,
        )

    # Life cycle

    async def async_start(self) -> None:
        """Restore the store, find the teams and follow the registry for more.

        The teams' entities are added next; their sensors are followed from
        `async_follow` on, so that a moment found in the first readings reaches
        the entities too.
        """
        stored = await self._store.async_load(
            partial(restore_sports_store, settings=self.settings)
        )
        self._stored = dict(stored or {})
        for unique_id, team in self._stored.items():
            self.slugs[unique_id] = team.slug
            if team.name:
                self._names[unique_id] = team.name
        self._async_scan()
        self._stored.clear()  # teams not found or not followed start afresh
        self._async_remove_stale_devices()
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED,
                self._on_registry_updated,
                event_filter=self._concerns_teams,
            )
        )

    @callback
    def async_follow(self) -> None:
        """Follow the teams' sensors and score events, and read them as they are."""
        self._following = True
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                SCORE_CHANGE_EVENT,
                self._on_score_change,
                event_filter=self._is_followed_score,
            )
        )
        self._async_track_states()
        for team in list(self.teams.values()):
            self._async_read_current(team)

    async def async_stop(self) -> None:
        """Stop following; the store writes itself."""
        self._following = False
        if self._unsubscribe_states is not None:
            self._unsubscribe_states()
            self._unsubscribe_states = None
        if self._timer is not None:
            self._timer()
            self._timer = None
            self._timer_at = None

    def _store_data(self) -> dict[str, Any]:
        teams: dict[str, Any] = {}
        for unique_id, slug in sorted(self.slugs.items()):
            team = self.teams.get(unique_id)
            follower = team.follower if team is not None else None
            teams[unique_id] = {
                "slug": slug,
                "name": self._names.get(unique_id),
                "follower": follower.as_dict() if follower is not None else None,
            }
        return {"version": STORE_VERSION, "teams": teams}

    # Finding the teams

    @callback
    def _concerns_teams(self, data: er.EventEntityRegistryUpdatedData) -> bool:
        """Tell whether a registry change is about a TeamTracker sensor."""
        entity_ids = {data["entity_id"]}
        if data["action"] == "update" and "old_entity_id" in data:
            entity_ids.add(data["old_entity_id"])
        if entity_ids & self._known_entity_ids():
            return True
        entry = er.async_get(self.hass).async_get(data["entity_id"])
        return entry is not None and is_team_sensor(entry)

    def _known_entity_ids(self) -> set[str]:
        return {team.entity_id for team in self.found.values()}

    @callback
    def _on_registry_updated(self, _event: Event[Any]) -> None:
        self._async_scan()

    @callback
    def _async_scan(self) -> None:
        """Find the teams again; follow new ones, let go of those that went."""
        self.found = found_teams(self.hass)
        for unique_id in set(self.slugs) - set(self.found):
            del self.slugs[unique_id]
            self._names.pop(unique_id, None)
        followed = {
            unique_id for unique_id in self.found if self.settings.follows(unique_id)
        }
        gone = [unique_id for unique_id in self.teams if unique_id not in followed]
        for unique_id in gone:
            name = self.teams.pop(unique_id).name
            LOGGER.info("Sports: %s is no longer followed", log_safe(name))
            self._async_remove_device(unique_id)
        added: list[FollowedTeam] = []
        for unique_id in sorted(followed):
            sensor = self.found[unique_id]
            if (team := self.teams.get(unique_id)) is not None:
                team.entity_id = sensor.entity_id
                continue
            team = self._async_new_team(sensor)
            self.teams[unique_id] = team
            added.append(team)
        entity_ids = {team.entity_id: team.unique_id for team in self.teams.values()}
        resubscribe = entity_ids != self._by_entity
        self._by_entity = entity_ids
        if not (gone or added or resubscribe):
            return
        self._store.async_save_later()
        if not self._following:
            return
        for team in added:
            async_dispatcher_send(
                self.hass, new_team_signal(self.entry.entry_id), team.unique_id
            )
        self._async_track_states()
        for team in added:
            self._async_read_current(team)

    @callback
    def _async_new_team(self, sensor: FoundTeam) -> FollowedTeam:
        unique_id = sensor.unique_id
        stored = self._stored.get(unique_id)
        name = self._names.get(unique_id) or self._name_in_state(sensor.entity_id)
        team = FollowedTeam(
            unique_id=unique_id,
            entity_id=sensor.entity_id,
            name=name or sensor.name,
            delay=self.settings.delay_of(unique_id),
            follower=stored.follower if stored is not None else None,
        )
        LOGGER.info(
            "Sports: following %s (%s)",
            log_safe(team.name),
            team.slug or "its topic is named at its first game",
        )
        return team

    def _name_in_state(self, entity_id: str) -> str | None:
        state = self.hass.states.get(entity_id)
        if state is None:
            return None
        return GameSnapshot.from_state(
            state.state, state.attributes, state.last_updated
        ).team_name

    @callback
    def _async_remove_stale_devices(self) -> None:
        """Remove the devices of teams no longer followed (unticked, or gone)."""
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            unique_id = team_unique_id_of(device)
            if unique_id is not None and unique_id not in self.teams:
                registry.async_update_device(
                    device.id, remove_config_entry_id=self.entry.entry_id
                )

    @callback
    def _async_remove_device(self, unique_id: str) -> None:
        if (device := self.team_device(unique_id)) is not None:
            dr.async_get(self.hass).async_update_device(
                device.id, remove_config_entry_id=self.entry.entry_id
            )

    def team_device(self, unique_id: str) -> dr.DeviceEntry | None:
        """Return the device of a team, among this entry's devices."""
        identifier = team_identifier(unique_id)
        for device in dr.async_entries_for_config_entry(
            dr.async_get(self.hass), self.entry.entry_id
        ):
            if identifier in device.identifiers:
                return device
        return None

    @callback
    def async_remove_device(self, device: dr.DeviceEntry) -> bool | None:
        """Tell whether a device may be deleted: None when it is no team's.

        A followed team's device comes back with its next reading, so only the
        device of a team no longer followed can go.
        """
        unique_id = team_unique_id_of(device)
        if unique_id is None:
            return None
        return unique_id not in self.teams

    # Following

    @callback
    def _async_track_states(self) -> None:
        if self._unsubscribe_states is not None:
            self._unsubscribe_states()
            self._unsubscribe_states = None
        if self._by_entity:
            self._unsubscribe_states = async_track_state_change_event(
                self.hass, sorted(self._by_entity), self._on_state_changed
            )

    @callback
    def _async_read_current(self, team: FollowedTeam) -> None:
        """Take in what the sensor shows now (it may have changed while away).

        It is read now, whenever it was written: a score written while HA AI
        was not following is as old as HA AI's absence, and the follower judges
        whether it is still news by when the game was last read live.
        """
        if (state := self.hass.states.get(team.entity_id)) is not None:
            self._async_observe(team, state, dt_util.utcnow())

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        unique_id = self._by_entity.get(event.data["entity_id"])
        team = self.teams.get(unique_id) if unique_id is not None else None
        new_state = event.data["new_state"]
        if team is not None and new_state is not None:
            self._async_observe(team, new_state)

    @callback
    def _async_observe(
        self, team: FollowedTeam, state: State, at: datetime | None = None
    ) -> None:
        snapshot = GameSnapshot.from_state(
            state.state, state.attributes, at or state.last_updated
        )
        notes = list(snapshot.notes)
        follower = team.follower or self._async_new_follower(team, snapshot)
        moments: list[Moment] = []
        if follower is None:
            if snapshot.state not in NOT_SHOWN:
                team.shown = snapshot
        else:
            moments = follower.observe(snapshot)
            notes += follower.notes
            team.shown = shown_game(team.shown, snapshot, follower)
        self._async_rename(team, snapshot)
        self._async_done(team, moments, notes)

    @callback
    def _is_followed_score(self, data: Mapping[str, Any]) -> bool:
        entity_id = data.get("entity_id")
        return isinstance(entity_id, str) and entity_id in self._by_entity

    @callback
    def _on_score_change(self, event: Event[Mapping[str, Any]]) -> None:
        team = self.teams.get(self._by_entity.get(event.data["entity_id"], ""))
        if team is None or team.follower is None:
            return
        follower = team.follower
        moments = follower.score_event(event.data, event.time_fired)
        current = follower.current
        if (
            team.shown is not None
            and team.shown.state is GameState.IN
            and current is not None
            and current.state is GameState.IN
        ):
            team.shown = current
        self._async_done(team, moments, list(follower.notes))

    @callback
    def _on_due(self, now: datetime) -> None:
        self._timer = None
        self._timer_at = None
        for team in list(self.teams.values()):
            if team.follower is not None and (moments := team.follower.due(now)):
                self._async_done(team, moments, [])
        self._async_arm_timer()

    @callback
    def _async_done(
        self, team: FollowedTeam, moments: list[Moment], notes: list[str]
    ) -> None:
        """Announce the moments of a reading, note why others were not, tell all."""
        for note in notes:
            team.notes.append(note)
            LOGGER.debug("Sports: %s: %s", team.slug or log_safe(team.name), note)
        signal = team_signal(self.entry.entry_id, team.unique_id)
        for moment in moments:
            self.bus.async_publish_event(moment.path, moment.payload())
            team.sent[moment.kind.value] += 1
            team.last_moment = moment
            async_dispatcher_send(self.hass, signal, moment)
        if moments:
            # Written now, so that a crash right after repeats nothing.
            self.entry.async_create_task(
                self.hass, self._store.async_save(), "ha_ai sports store"
            )
        else:
            self._store.async_save_later()
            async_dispatcher_send(self.hass, signal, None)
        self._async_arm_timer()

    @callback
    def _async_arm_timer(self) -> None:
        """Set the one timer for the earliest moment held, if any."""
        due = min(
            (
                team.follower.next_due
                for team in self.teams.values()
                if team.follower is not None and team.follower.next_due is not None
            ),
            default=None,
        )
        if due == self._timer_at:
            return
        if self._timer is not None:
            self._timer()
            self._timer = None
        self._timer_at = due
        if due is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._on_due, due)

    # Slugs and names

    @callback
    def _async_new_follower(
        self, team: FollowedTeam, snapshot: GameSnapshot
    ) -> GameFollower | None:
        """Give the team its follower once its slug is known or can be made."""
        slug = self.slugs.get(team.unique_id)
        if slug is None:
            identity = team_identity(snapshot)
            if identity is None:
                return None
            teams = dict.fromkeys(self.slugs, TeamIdentity())
            teams[team.unique_id] = identity
            slug = assign_slugs(teams, self.slugs)[team.unique_id]
            self.slugs[team.unique_id] = slug
            LOGGER.info(
                "Sports: the moments of %s go to %s",
                log_safe(team.name),
                f"{self.bus.topic('events', 'sports', slug)}/<moment>",
            )
        team.follower = GameFollower(slug, team.delay)
        return team.follower

    @callback
    def _async_rename(self, team: FollowedTeam, snapshot: GameSnapshot) -> None:
        """Name the team's device after the team, as its sensor names it."""
        name = snapshot.team_name
        if not name or name == self._names.get(team.unique_id):
            return
        self._names[team.unique_id] = name
        team.name = name
        if (device := self.team_device(team.unique_id)) is not None:
            dr.async_get(self.hass).async_update_device(device.id, name=name)

    # Reading

    def team_name(self, unique_id: str) -> str | None:
        """Return the name of a team found: the team's own once its sensor named it."""
        if (team := self.teams.get(unique_id)) is not None:
            return team.name
        return self._names.get(unique_id)

    def topic(self, team: FollowedTeam) -> str | None:
        """Return the topic under which the team's moments go, or None before."""
        slug = team.slug
        return None if slug is None else self.bus.topic("events", "sports", slug)

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the teams found, whether followed, and what each announced.

        Teams are named by their names and slugs only: no entity or unique id.
        """
        teams: list[dict[str, Any]] = []
        for unique_id, sensor in self.found.items():
            team = self.teams.get(unique_id)
            if team is None:
                teams.append(
                    {
                        "name": self._names.get(unique_id, sensor.name),
                        "followed": False,
                        "slug": self.slugs.get(unique_id),
                    }
                )
                continue
            follower = team.follower
            teams.append(
                {
                    "name": team.name,
                    "followed": True,
                    "slug": team.slug,
                    "delay_seconds": team.delay.total_seconds(),
                    "state": team.shown.state.value if team.shown else None,
                    "moments_sent": dict(sorted(team.sent.items())),
                    "moments_held": len(follower.pending) if follower else 0,
                    "games_remembered": len(follower.games) if follower else 0,
                    "notes": list(team.notes),
                }
            )
        teams.sort(key=lambda team: (str(team["name"]).casefold(), str(team["slug"])))
        return {
            "teams_found": len(self.found),
            "teams_followed": len(self.teams),
            "moments_sent": sum(
                sum(team.sent.values()) for team in self.teams.values()
            ),
            "teams": teams,
        }
