"""Generated households for learning when the house is empty.

Each household is a ChangeTable of a few weeks, deterministic for its seed, with
the roles Home Assistant would give its entities and the absences that really
happened (local wall-clock times stored as UTC seconds, like the history):

- `commuter`: leaves through the front door at 08:00 on weekdays, back at 17:30,
  home at weekends; optionally with a person entity that follows;
- `retired_couple`: always someone home, the garden door used every afternoon;
- the commuter with one week's holiday away in the middle, or with a dog let
  out through the front door at bedtime and at dawn;
- `no_doors`: the commuter's life seen by motion and lights only;
- `noise`: lights, motion and the front door at random times; `door_noise`
  the front door alone;
- `night_shift`: works 22:00 to 06:30 on weekdays, sleeps from 08:00 to 15:30
  after breakfast (or, `straight_to_bed`, right after the door), with or
  without a person entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np

from custom_components.ha_ai.engine.habits.model import ChangeTable, Origin
from custom_components.ha_ai.engine.household.model import EntityRole

TIMEZONE = ZoneInfo("Europe/Amsterdam")
START = date(2026, 3, 2)  # a Monday; daylight saving begins on 29 March
FRONT_DOOR = "binary_sensor.front_door"
GARDEN_DOOR = "binary_sensor.garden_door"
PERSON = "person.alex"
MOTIONS = (
    "binary_sensor.hall_motion",
    "binary_sensor.kitchen_motion",
    "binary_sensor.living_motion",
)
BEDROOM_MOTION = "binary_sensor.bedroom_motion"
LIGHTS = ("light.kitchen", "light.living", "light.bedroom")
ROLES: dict[str, EntityRole] = {
    FRONT_DOOR: EntityRole.DOOR,
    GARDEN_DOOR: EntityRole.DOOR,
    PERSON: EntityRole.PRESENCE,
    BEDROOM_MOTION: EntityRole.MOTION,
    **dict.fromkeys(MOTIONS, EntityRole.MOTION),
}
MOTION_HOLD_SECONDS = 60


@dataclass(slots=True)
class Household:
    """A generated history, its roles and the absences it holds."""

    name: str
    days: int
    timezone: tzinfo = TIMEZONE
    rows: list[tuple[int, int, str, str]] = field(default_factory=list)
    absences: list[tuple[int, int]] = field(default_factory=list)  # UTC seconds
    roles: dict[str, EntityRole] = field(default_factory=lambda: dict(ROLES))

    @property
    def table(self) -> ChangeTable:
        """Return the history as the log holds it."""
        return ChangeTable.from_rows(self.rows)

    @property
    def end(self) -> datetime:
        """Return the local midnight after the last day."""
        return self.at(self.days, 0)

    def at(self, day: int, minute: float) -> datetime:
        """Return the moment `minute` minutes after the local midnight of `day`."""
        midnight = datetime.combine(
            START + timedelta(days=day), time(0), tzinfo=self.timezone
        )
        # Wall-clock minutes: a 07:00 stays 07:00 across daylight saving.
        local = midnight.replace(tzinfo=None) + timedelta(minutes=minute)
        return local.replace(tzinfo=self.timezone)

    def epoch(self, day: int, minute: float) -> int:
        """Return `at` as UTC epoch seconds."""
        return int(self.at(day, minute).timestamp())

    def change(self, when: int, entity_id: str, state: str) -> None:
        """Add a manual change."""
        self.rows.append((when, int(Origin.MANUAL), entity_id, state))

    def motion(self, when: int, entity_id: str) -> None:
        """Add a motion sensor seeing someone, and clearing a minute later."""
        self.change(when, entity_id, "on")
        self.change(when + MOTION_HOLD_SECONDS, entity_id, "off")

    def door(self, when: int, entity_id: str = FRONT_DOOR) -> None:
        """Add a door opened and closed a few seconds later."""
        self.change(when, entity_id, "on")
        self.change(when + 8, entity_id, "off")


def _is_weekend(day: int) -> bool:
    return (START + timedelta(days=day)).weekday() >= 5


def _busy(
    house: Household,
    rng: np.random.Generator,
    day: int,
    first: float,
    last: float,
    *,
    motions: bool = True,
) -> None:
    """Add someone at home between two local minutes: motion and lights.

    An event every 2 to 12 minutes, so no silence of half an hour.
    """
    minute = first
    while minute < last:
        when = house.epoch(day, minute)
        if motions and rng.random() < 0.8:
            house.motion(when, MOTIONS[int(rng.integers(len(MOTIONS)))])
        else:
            light = LIGHTS[int(rng.integers(2))]
            house.change(when, light, "on" if rng.random() < 0.5 else "off")
        minute += float(rng.uniform(2, 12))


def _wake(house: Household, day: int, minute: float, *, motions: bool) -> None:
    """Add the morning's first action after the night's quiet."""
    when = house.epoch(day, minute)
    if motions:
        house.motion(when, BEDROOM_MOTION)
    house.change(when + 30, "light.bedroom", "on")


def _bed(house: Household, day: int, minute: float) -> None:
    """Add the evening's last action before the night's quiet."""
    house.change(house.epoch(day, minute), "light.bedroom", "off")


def _presence(house: Household, left: int, back: int) -> None:
    """Add the person leaving home just after the door and back just before."""
    house.change(left + 90, PERSON, "not_home")
    house.change(back - 60, PERSON, "home")


def commuter(
    days: int = 28,
    *,
    seed: int = 1,
    person: bool = False,
    doors: bool = True,
    holiday: range | None = None,
    dog_nights: bool = False,
) -> Household:
    """Return a commuter's house: out from 08:00 to 17:30 on weekdays.

    At weekends the garden door opens at 14:00 and someone reads in the garden
    room for 50 minutes, quietly (a door, then silence, with someone home).
    `holiday` is the days away: out at 10:00 on its first, back at 16:00 on its
    last. With `dog_nights`, on every other night the dog is let out through
    the front door after the bedroom light goes off and again first thing in
    the morning: a door, hours of silence, a door, and nobody away.
    """
    rng = np.random.default_rng(seed)
    name = "commuter" + ("_person" if person else "") + ("" if doors else "_no_doors")
    name += "_holiday" if holiday is not None else ""
    name += "_dog" if dog_nights else ""
    house = Household(name=name, days=days)
    if not doors:
        house.roles = {k: v for k, v in ROLES.items() if v is not EntityRole.DOOR}
    if person:
        house.change(house.epoch(0, 0), PERSON, "home")
    for day in range(days):
        if holiday is not None and day in holiday:
            _holiday_day(house, rng, day, holiday, doors=doors, person=person)
            continue
        wake = 6 * 60 + 30 + float(rng.normal(0, 5))
        if dog_nights and day % 2 == 1:
            house.door(house.epoch(day, wake - 2))
        _wake(house, day, wake, motions=doors)
        if _is_weekend(day):
            _busy(house, rng, day, wake + 2, 14 * 60, motions=doors)
            if doors:
                house.door(house.epoch(day, 14 * 60), GARDEN_DOOR)
            _busy(house, rng, day, 14 * 60 + 50, 23 * 60, motions=doors)
        else:
            leave = 8 * 60 + float(rng.normal(0, 5))
            back = 17 * 60 + 30 + float(rng.normal(0, 10))
            _busy(house, rng, day, wake + 2, leave - 1, motions=doors)
            left, returned = house.epoch(day, leave), house.epoch(day, back)
            _leave(house, left, doors=doors)
            _come_back(house, returned, doors=doors)
            house.absences.append((left, returned))
            if person:
                _presence(house, left, returned)
            _busy(house, rng, day, back + 1, 23 * 60, motions=doors)
        _bed(house, day, 23 * 60 + 5)
        if dog_nights and day % 2 == 0:
            house.door(house.epoch(day, 23 * 60 + 7))
    return house


def _holiday_day(
    house: Household,
    rng: np.random.Generator,
    day: int,
    holiday: range,
    *,
    doors: bool,
    person: bool,
) -> None:
    """Add a day of the holiday: leaving on the first, back on the last."""
    if day == holiday.start:
        _wake(house, day, 7 * 60, motions=doors)
        _busy(house, rng, day, 7 * 60 + 2, 10 * 60 - 1, motions=doors)
        _leave(house, house.epoch(day, 10 * 60), doors=doors)
    if day == holiday.stop - 1:
        left = house.epoch(holiday.start, 10 * 60)
        back = house.epoch(day, 16 * 60)
        _come_back(house, back, doors=doors)
        _busy(house, rng, day, 16 * 60 + 2, 23 * 60, motions=doors)
        _bed(house, day, 23 * 60 + 5)
        house.absences.append((left, back))
        if person:
            _presence(house, left, back)


def _leave(house: Household, when: int, *, doors: bool) -> None:
    """Add leaving: the living room light off, the hall, the front door."""
    house.change(when - 30, "light.living", "off")
    if doors:
        house.motion(when - 20, MOTIONS[0])
        house.door(when)


def _come_back(house: Household, when: int, *, doors: bool) -> None:
    """Add coming back: the front door, the hall, the living room light."""
    if doors:
        house.door(when)
        house.motion(when + 15, MOTIONS[0])
    house.change(when + 40, "light.living", "on")


def retired_couple(days: int = 28, *, seed: int = 2) -> Household:
    """Return a house never empty: someone about from 07:00 to 22:30 every day.

    The garden door opens every afternoon and someone comes in within minutes.
    """
    rng = np.random.default_rng(seed)
    house = Household(name="retired_couple", days=days)
    for day in range(days):
        _wake(house, day, 7 * 60 + float(rng.normal(0, 10)), motions=True)
        _busy(house, rng, day, 7 * 60 + 30, 15 * 60, motions=True)
        house.door(house.epoch(day, 15 * 60 + 2), GARDEN_DOOR)
        house.door(house.epoch(day, 15 * 60 + 8), GARDEN_DOOR)
        _busy(house, rng, day, 15 * 60 + 10, 22 * 60 + 30, motions=True)
        _bed(house, day, 22 * 60 + 35)
    return house


def noise(days: int = 28, *, seed: int = 3, per_day: int = 60) -> Household:
    """Return a house of changes at random times: lights, motion, the front door."""
    rng = np.random.default_rng(seed)
    house = Household(name="noise", days=days)
    entities = (*LIGHTS, *MOTIONS, FRONT_DOOR)
    first, last = house.epoch(0, 0), house.epoch(days, 0)
    for when in np.sort(rng.integers(first, last, size=days * per_day)):
        entity_id = entities[int(rng.integers(len(entities)))]
        if entity_id in MOTIONS:
            house.motion(int(when), entity_id)
        elif entity_id == FRONT_DOOR:
            house.door(int(when))
        else:
            house.change(int(when), entity_id, "on" if rng.random() < 0.5 else "off")
    return house


def door_noise(days: int = 28, *, seed: int = 5, per_day: int = 30) -> Household:
    """Return a house whose only activity is its front door, at random times."""
    rng = np.random.default_rng(seed)
    house = Household(name="door_noise", days=days)
    first, last = house.epoch(0, 0), house.epoch(days, 0)
    for when in np.sort(rng.integers(first, last, size=days * per_day)):
        house.door(int(when))
    return house


def night_shift(
    days: int = 28,
    *,
    seed: int = 4,
    person: bool = False,
    straight_to_bed: bool = False,
) -> Household:
    """Return a night worker's house: out from 21:45 to 06:45 before weekdays.

    Works the nights from Sunday to Thursday; back home, breakfast and then
    sleep from 08:00 to 15:30 (or, `straight_to_bed`, sleep right after the
    door). Friday and Saturday nights are slept at home, from 23:30 to 08:30.
    """
    rng = np.random.default_rng(seed)
    name = "night_shift" + ("_person" if person else "")
    name += "_straight_to_bed" if straight_to_bed else ""
    house = Household(name=name, days=days)
    if person:
        house.change(house.epoch(0, 0), PERSON, "home")
    # Day 0 is a Monday: the night before it was not recorded; the worker wakes.
    sleeping_until = 15 * 60 + 30.0
    for day in range(days):
        weekday = (START + timedelta(days=day)).weekday()
        came_home = day > 0 and weekday <= 4
        if came_home:
            home_at = 6 * 60 + 45 + float(rng.normal(0, 5))
            back = house.epoch(day, home_at)
            _come_back(house, back, doors=True)
            if person:
                _presence(house, house.absences[-1][0], back)
            house.absences[-1] = (house.absences[-1][0], back)
            if not straight_to_bed:
                _busy(house, rng, day, home_at + 2, 7 * 60 + 55, motions=True)
                _bed(house, day, 8 * 60)
        _wake(house, day, sleeping_until + float(rng.normal(0, 5)), motions=True)
        works_tonight = weekday in (6, 0, 1, 2, 3)
        if works_tonight:
            leave = 21 * 60 + 45 + float(rng.normal(0, 3))
            _busy(house, rng, day, sleeping_until + 2, leave - 1, motions=True)
            left = house.epoch(day, leave)
            _leave(house, left, doors=True)
            house.absences.append((left, left))  # its end comes the next morning
        else:
            _busy(house, rng, day, sleeping_until + 2, 23 * 60 + 30, motions=True)
            _bed(house, day, 23 * 60 + 31)
        sleeping_until = 15 * 60 + 30.0 if weekday in (6, 0, 1, 2, 3) else 8 * 60 + 30.0
    house.absences = [(s, e) for s, e in house.absences if e > s]
    return house


def all_households() -> list[Household]:
    """Return every generated household, in a fixed order."""
    return [
        commuter(),
        commuter(person=True),
        commuter(doors=False),
        commuter(holiday=range(12, 19)),
        commuter(dog_nights=True),
        retired_couple(),
        noise(),
        door_noise(),
        night_shift(),
        night_shift(person=True),
        night_shift(straight_to_bed=True),
    ]
