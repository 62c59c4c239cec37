"""The suggestions as the card sees them, built once per change for every subscriber.

The list (registry look-ups and a YAML text per automation, for up to the
whole book) and the summary of the analyses are built once per change of the
suggestions, of the habit analysis or of the Zigbee judgement, and the same
payload goes to every open subscription: N browsers cost one build, not N.
A change is sent at once (a dismissal shows in the other browser without
waiting); the changes that follow it within a moment (an analysis touches all
three parts at once) are coalesced by Home Assistant's debouncer into one build
at the end of the burst, so the last state is always sent.

Each loaded entry has its own `LiveSuggestionList`, stopped with the entry. The
subscribers are kept by the entry's id, outside the entry: a reloaded entry
(changed options) keeps its id, and its new list, listening to the new
coordinators, sends to the subscribers of the old one. While no entry with that
id runs, they hear nothing. With no subscriber, nothing is built.

The days of history in the summary count from the first day of the habit log,
read again (in the executor) whenever an analysis finished, since the analysis
prunes the log and the log gains days as it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.debounce import Debouncer
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..engine.automations.ids import is_automation_id
from ..engine.automations.revise import Change
from ..engine.automations.yaml_file import entry_text
from ..engine.habits.model import PatternLevel
from ..engine.llm.parse import plain_text
from ..engine.suggestions.evidence import evidence_text
from ..engine.suggestions.model import Suggestion, SuggestionKind, SuggestionStatus
from ..engine.suggestions.revisions import REVISION_KINDS
from ..engine.suggestions.summary import history_days, next_run
from ..zigbee.links import zigbee_device_ids
from .manager import suggestion_fields

if TYPE_CHECKING:
    from ..habits.coordinator import HabitAnalysis
    from ..habits.log import HabitLog
    from ..zigbee.coordinator import ZigbeeInsights
    from .manager import SuggestionManager

type Payload = dict[str, Any]
type Subscriber = Callable[[Payload], None]

# After a build, the changes of the next this-many seconds share one build.
BUILD_COOLDOWN = 0.25
_SUBSCRIBERS: HassKey[dict[str, set[Subscriber]]] = HassKey(
    f"{DOMAIN}_suggestion_list_subscribers"
)
_LEVELS = frozenset(str(level) for level in PatternLevel)
_CHANGES = frozenset(str(change) for change in Change)


class LiveSuggestionList:
    """Builds an entry's suggestion list once per change and hands it to all."""

    def __init__(  # noqa: PLR0913
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        suggestions: SuggestionManager,
        habits: HabitAnalysis,
        insights: ZigbeeInsights,
        log: HabitLog,
    ) -> None:
        """Prepare; nothing is followed before `async_start`."""
        self.hass = hass
        self.entry = entry
        self.suggestions = suggestions
        self.habits = habits
        self.insights = insights
        self.log = log
        self._first_day: date | None = None
        # The last payload built; None once a change came with nobody listening.
        self._payload: Payload | None = None
        self._builder = Debouncer(
            hass,
            LOGGER,
            cooldown=BUILD_COOLDOWN,
            immediate=True,
            function=self._async_publish,
        )

    async def async_start(self) -> None:
        """Follow the three parts until the entry unloads; tell the subscribers.

        Subscribers who outlived a reload get the new entry's list at once.
        """
        self._first_day = await self.log.async_first_day()
        self.entry.async_on_unload(self._builder.async_shutdown)
        self.entry.async_on_unload(
            self.suggestions.async_add_listener(self._async_changed)
        )
        self.entry.async_on_unload(
            self.habits.async_add_listener(self._async_habits_changed)
        )
        self.entry.async_on_unload(
            self.insights.async_add_listener(self._async_changed)
        )
        self._async_changed()

    async def async_current(self) -> Payload:
        """Return the list as it is: the last one built, or a new one.

        None is current when nobody listened to the last change; then the log's
        first day is read again and the list built.
        """
        if self._payload is None:
            self._first_day = await self.log.async_first_day()
            self._payload = self._build()
        return self._payload

    @callback
    def async_subscribe(self, subscriber: Subscriber) -> CALLBACK_TYPE:
        """Send the list to `subscriber` after every change from now on.

        The returned function stops it; until then it stays subscribed to this
        entry's id, across reloads.
        """
        subscribers = self.hass.data.setdefault(_SUBSCRIBERS, {}).setdefault(
            self.entry.entry_id, set()
        )
        subscribers.add(subscriber)

        @callback
        def unsubscribe() -> None:
            subscribers.discard(subscriber)

        return unsubscribe

    def _subscribers(self) -> set[Subscriber]:
        return self.hass.data.get(_SUBSCRIBERS, {}).get(self.entry.entry_id, set())

    @callback
    def _async_changed(self) -> None:
        """Build for the subscribers now or after the burst; for none, forget it."""
        if self._subscribers():
            self._builder.async_schedule_call()
        else:
            self._payload = None

    @callback
    def _async_habits_changed(self) -> None:
        """After an analysis, read the log's first day again, then build.

        The start of a run changes nothing the card shows.
        """
        if self.habits.running:
            return
        self.entry.async_create_background_task(
            self.hass, self._async_reread_first_day(), "ha_ai suggestion list history"
        )

    async def _async_reread_first_day(self) -> None:
        self._first_day = await self.log.async_first_day()
        self._async_changed()

    @callback
    def _async_publish(self) -> None:
        """Build the payload once and send the same one to every subscriber."""
        if not (subscribers := self._subscribers()):
            self._payload = None
            return
        self._payload = self._build()
        for subscriber in list(subscribers):
            subscriber(self._payload)

    def _build(self) -> Payload:
        return {
            "suggestions": suggestion_items(self.hass, self.suggestions),
            "summary": self._summary(),
        }

    def _summary(self) -> dict[str, Any]:
        """Return what the analyses have done so far and when the next one runs."""
        habits = self.habits
        levels = habits.level_counts()
        now = dt_util.now()
        return {
            "last_analysis": iso(habits.last_run),
            "next_analysis": iso(next_run(now, habits.schedule.run_at).astimezone(UTC)),
            "history_days": history_days(
                self._first_day, now.date(), habits.schedule.history_days
            ),
            "patterns_established": levels.get(str(PatternLevel.ESTABLISHED), 0),
            "patterns_forming": levels.get(str(PatternLevel.FORMING), 0),
            "unused_capabilities": len(self.insights.findings),
        }


def suggestion_items(
    hass: HomeAssistant, suggestions: SuggestionManager
) -> list[dict[str, Any]]:
    """Return every suggestion, best first, with what a card shows of it."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    areas = ar.async_get(hass)
    zigbee: dict[str, dr.DeviceEntry] | None = None
    items = []
    for suggestion in suggestions.query():
        device_id = None
        if suggestion.kind is SuggestionKind.FEATURE:
            # A capability may have no entity at all: its device is the place.
            if zigbee is None:
                zigbee = zigbee_device_ids(hass)
            ieee = str(suggestion.source.get("ieee_address") or "").lower()
            if (zigbee_device := zigbee.get(ieee)) is not None:
                device_id = zigbee_device.id
        names = {
            entity_id: _entity_name(hass, entities, entity_id)
            for entity_id in suggestion.entities
        }
        area_id = None
        for entity_id in suggestion.entities:
            if (entity := entities.async_get(entity_id)) is not None:
                device_id = device_id or entity.device_id
                area_id = entity.area_id
                if area_id is None and entity.device_id is not None:
                    device = devices.async_get(entity.device_id)
                    area_id = device.area_id if device is not None else None
            if area_id is not None:
                break
        area = areas.async_get_area(area_id) if area_id else None
        level = suggestion.source.get("level")
        items.append(
            {
                **suggestion_fields(suggestion),
                "evidence": evidence_text(suggestion.kind, suggestion.source, names),
                "area": area.name if area is not None else None,
                "device_id": device_id,
                "entity_names": names,
                "level": level if level in _LEVELS else None,
                "automation_yaml": (
                    entry_text(suggestion.automation)
                    if suggestion.automation is not None
                    else None
                ),
                "deployed_entity_id": (
                    automation_entity(hass, suggestion)
                    if suggestion.status is SuggestionStatus.DEPLOYED
                    else None
                ),
                "revision": revision_fields(suggestion),
            }
        )
    return items


def revision_fields(suggestion: Suggestion) -> dict[str, Any] | None:
    """Return which automation a revision is about and what it does to it.

    None for every other kind. The alias is the user's text: plain, as shown.
    """
    if suggestion.kind not in REVISION_KINDS:
        return None
    source = suggestion.source
    alias = source.get("alias")
    automation_id = source.get("automation_id")
    change = source.get("change")
    return {
        "automation_id": automation_id if is_automation_id(automation_id) else None,
        "alias": plain_text(alias) if isinstance(alias, str) else None,
        "change": change if change in _CHANGES else None,
    }


def _entity_name(
    hass: HomeAssistant, entities: er.EntityRegistry, entity_id: str
) -> str:
    """Return an entity's name as Home Assistant shows it, or its entity id."""
    if (state := hass.states.get(entity_id)) is not None:
        return state.name
    if (entity := entities.async_get(entity_id)) is not None:
        return entity.name or entity.original_name or entity_id
    return entity_id


def automation_entity(hass: HomeAssistant, suggestion: Suggestion) -> str | None:
    """Return the entity of a suggestion's deployed automation, if it exists."""
    if suggestion.automation_id is None:
        return None
    return er.async_get(hass).async_get_entity_id(
        "automation", "automation", suggestion.automation_id
    )


def iso(moment: datetime | None) -> str | None:
    """Return a moment as the card reads it (ISO 8601), or None."""
    return None if moment is None else moment.isoformat()
