"""The suggestion store of a running entry: findings in, reviewed automations out.

Every habit pattern and unused Zigbee capability becomes a suggestion (the engine's
`SuggestionBook` keeps the rules: stable ids, statuses, expiry, ranking, the
bound). This side feeds it from the habit analysis and the Zigbee judgement, renders
and checks an automation for every habit suggestion, announces new ones (MQTT, and
one summary notification when the options say so), optionally lets the LLM
reword them first, and deploys accepted ones. What the user accepts and keeps,
dismisses, and overrides of the deployed automations (read from the runs' health
table) is counted per category, kind and area (`engine.suggestions.feedback`),
and every draft gets the factor of those answers before the book takes it in.

It also judges the automations HA AI deployed from suggestions, at every refresh
and (debounced) whenever their runs change: from their recent runs, an
automation people keep undoing, one that keeps failing, or one that no longer
runs while its habit is gone becomes a suggestion of its own (kinds `revise` and
`remove`, see `engine.automations.revise`). Accepting one replaces the
automation under the same id by the revised one (checked like any automation),
turns it off, or removes it.

What the LLM says is untrusted: its automation must narrow the rendered one
(`engine.llm.narrow`) and pass the same checks; its text is plain text (links,
images and HTML taken out when parsed); a suggestion whose automation it
changed gets a title HA AI writes from that automation (`behaviour`); and every
text is made plain again where it leaves (MQTT, services) and escaped for
Markdown in notifications. Each suggestion is announced and enriched once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.components.event import DOMAIN as EVENT_DOMAIN
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..automations.check import (
    AutomationRefusedError,
    SafetySettings,
    async_check_automation,
)
from ..const import DOMAIN, HOUSEHOLD_EVENT_KEY, LOGGER
from ..engine.automations.ids import is_automation_id
from ..engine.automations.render import render_automation, render_household
from ..engine.automations.revise import revisions
from ..engine.household.model import HouseholdRoutine, HouseholdRoutines
from ..engine.llm.parse import plain_text
from ..engine.llm.prompt import LlmEntity, LlmFinding
from ..engine.log_text import log_safe, markdown_safe
from ..engine.suggestions.behaviour import automation_title
from ..engine.suggestions.book import StatusChange, SuggestionBook
from ..engine.suggestions.feedback import FeedbackKeys, FeedbackTally
from ..engine.suggestions.findings import (
    capability_draft_steps,
    draft_from_household,
    draft_from_pattern,
)
from ..engine.suggestions.lifecycle import SuggestionError
from ..engine.suggestions.model import (
    EntityFacts,
    Suggestion,
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
    order_key,
)
from ..engine.suggestions.revisions import REVISION_KINDS, draft_from_revision
from ..engine.suggestions.serialize import book_to_store, restore_suggestions_store
from ..engine.zigbee.steps import run_to_end
from ..signals import ChangeSignal
from ..stored_part import PartStore
from ..zigbee.bridge import async_run_in_slices

if TYPE_CHECKING:
    from ..automations.deploy import AutomationDeployer
    from ..automations.runs import AutomationRuns
    from ..bus.mqtt_bus import MqttBus
    from ..engine.habits.model import Pattern
    from ..llm.enrich import LlmEnricher
    from ..zigbee.coordinator import ZigbeeInsights

STORE_KEY = f"{DOMAIN}.suggestions"
STORE_VERSION = 1
SAVE_DELAY = 5
REFRESH_COOLDOWN = 10.0
# Up to this many unused capabilities are drafted in place (a millisecond or two);
# more are drafted in executor slices, so that no house size stalls the loop.
DRAFT_IN_PLACE_FINDINGS = 200
TOP_SUGGESTIONS = 5
# The summary notification names the best few of the waiting suggestions.
SUMMARY_BEST = 3
SUMMARY_NOTIFICATION_ID = f"{DOMAIN}_suggestions"
AUTOMATION_ID_PREFIX = "ha_ai_"
AUTOMATION_DOMAIN = "automation"
DEFAULT_STALE_AFTER = timedelta(days=14)
# What of a finding's source the LLM sees: evidence and capability facts.
_LLM_COUNTS = frozenset(
    {"support_days", "observed_days", "count", "median_delay_seconds", "lift"}
)
_LLM_DETAILS = frozenset(
    {"state", "trigger_state", "device_model", "property_name", "feature_kind"}
)
# The statuses a suggestion goes through when an outside program deploys it.
_PATH_TO_DEPLOYED = {
    SuggestionStatus.NEW: (SuggestionStatus.ACCEPTED, SuggestionStatus.DEPLOYED),
    SuggestionStatus.ACCEPTED: (SuggestionStatus.DEPLOYED,),
    SuggestionStatus.FAILED: (SuggestionStatus.ACCEPTED, SuggestionStatus.DEPLOYED),
    SuggestionStatus.SNOOZED: (SuggestionStatus.ACCEPTED, SuggestionStatus.DEPLOYED),
}


@dataclass(frozen=True, slots=True)
class SuggestionSettings:
    """The options of the suggestion store."""

    max_kept: int
    expire_after: timedelta
    notify: bool
    safety: SafetySettings
    # An automation HA AI deployed that has not run for this long, while the
    # habit it came from is gone, is proposed for removal.
    stale_after: timedelta = DEFAULT_STALE_AFTER


# A text in a notification: longer than a log line, as long as a description.
_NOTIFICATION_TEXT = 1000


def suggestion_fields(suggestion: Suggestion) -> dict[str, Any]:
    """Return a suggestion as services and attributes report it (plain text)."""
    return {
        "suggestion_id": suggestion.suggestion_id,
        "kind": str(suggestion.kind),
        "category": suggestion.category,
        "status": str(suggestion.status),
        "title": plain_text(suggestion.title),
        "description": plain_text(suggestion.description),
        "confidence": round(suggestion.confidence, 3),
        "feedback": round(suggestion.feedback, 3),
        "entities": list(suggestion.entities),
        "how_to_start": plain_text(suggestion.how_to_start),
        "automation": dict(suggestion.automation) if suggestion.automation else None,
        "automation_id": suggestion.automation_id,
        "error": suggestion.error,
        "created_at": suggestion.created_at.isoformat(),
        "updated_at": suggestion.updated_at.isoformat(),
        "snoozed_until": (
            None
            if suggestion.snoozed_until is None
            else suggestion.snoozed_until.isoformat()
        ),
    }


class SuggestionManager:
    """Keeps the suggestions, announces new ones and deploys accepted ones."""

    def __init__(  # noqa: PLR0913
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        insights: ZigbeeInsights,
        deployer: AutomationDeployer,
        runs: AutomationRuns,
        settings: SuggestionSettings,
        enricher: LlmEnricher | None = None,
    ) -> None:
        """Prepare; `async_start` loads the stored suggestions.

        The habit patterns are handed in by the analysis (`async_use_patterns`,
        `async_refresh_patterns`); the unused capabilities are read from
        `insights`, whose judgements refresh the suggestions, and the runs of
        HA AI's automations from `runs`, whose changes refresh them too and
        count the overrides of the deployed automations. The announcements run
        as tasks of `entry`, and end with it.
        """
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.insights = insights
        self.deployer = deployer
        self.runs = runs
        self.settings = settings
        self.enricher = enricher
        self.book = SuggestionBook()
        # The user's answers per category, kind and area: the rank factor.
        self.feedback = FeedbackTally()
        self._unannounced: list[str] = []
        self._announcing: set[str] = set()
        # The waiting suggestions the summary notification lists, best first.
        self._summarised: list[str] = []
        self._store = PartStore(
            hass, entry, STORE_KEY, STORE_VERSION, self._to_store, SAVE_DELAY
        )
        self._patterns: list[Pattern] = []
        self._household = HouseholdRoutines()
        # Whether an analysis handed its patterns in (restored or new): before
        # that, nothing is known of whether a deployed suggestion's habit is gone.
        self._patterns_known = False
        self._changed = ChangeSignal(hass, entry.entry_id, "suggestions")
        self._refresher = Debouncer(
            hass,
            LOGGER,
            cooldown=REFRESH_COOLDOWN,
            immediate=False,
            function=self._async_refresh_quietly,
        )
        self._cancel_wake: CALLBACK_TYPE | None = None

    async def async_start(self) -> None:
        """Restore the suggestions; follow the Zigbee judgement from now on."""
        stored = await self._store.async_load(restore_suggestions_store)
        if stored is not None:
            self.book = stored.book
            self._unannounced = stored.unannounced
            self.feedback = stored.feedback
            # Stores written before the book remembered announcements: all the
            # suggestions not waiting for theirs have had it.
            waiting = set(self._unannounced)
            self.book.mark_announced(
                suggestion.suggestion_id
                for suggestion in self.book.query()
                if suggestion.suggestion_id not in waiting
            )
        self.entry.async_on_unload(
            self.insights.async_add_listener(self._refresher.async_schedule_call)
        )
        self.entry.async_on_unload(
            self.runs.async_add_listener(self._async_runs_changed)
        )
        self._async_wake(dt_util.utcnow())

    async def async_stop(self) -> None:
        """Stop following; the store writes what changed since the last save."""
        self._refresher.async_shutdown()
        if self._cancel_wake is not None:
            self._cancel_wake()
            self._cancel_wake = None

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever the suggestions change."""
        return self._changed.async_add_listener(listener)

    # Findings in

    @callback
    def async_use_patterns(
        self,
        patterns: Sequence[Pattern],
        household: HouseholdRoutines | None = None,
    ) -> None:
        """Draft habit suggestions from `patterns` at every refresh from now on.

        The analysis hands in its restored patterns (and household routines) as
        it starts; the book already holds their suggestions, so nothing is
        refreshed now.
        """
        self._patterns = list(patterns)
        self._household = household or HouseholdRoutines()
        self._patterns_known = True

    async def async_refresh_patterns(
        self,
        patterns: Sequence[Pattern],
        household: HouseholdRoutines | None = None,
    ) -> tuple[int, int]:
        """Take the patterns of a new analysis and refresh (see `async_refresh`)."""
        self.async_use_patterns(patterns, household)
        return await self.async_refresh()

    async def _async_refresh_quietly(self) -> None:
        """Refresh after a judgement or runs; a failure is logged, not raised."""
        try:
            await self.async_refresh()
        except Exception:  # noqa: BLE001 - the next judgement tries again
            LOGGER.exception("Updating the suggestions failed")

    async def async_refresh(self) -> tuple[int, int]:
        """Merge the current findings into the book and announce the new ones.

        Return how many suggestions are open, and how many of them are new.
        Only the unused capabilities that can change the book are drafted (see
        `_async_capability_drafts`), so the merge on the event loop handles a few
        hundred drafts whatever the size of the house.
        """
        patterns = [
            pattern
            for pattern in self._patterns
            if all(map(self._exists, _pattern_entities(pattern)))
        ]
        names = self._entity_facts(
            entity_id
            for pattern in patterns
            for entity_id in _pattern_entities(pattern)
        )
        drafts = [
            draft
            for pattern in patterns
            if (draft := await self._async_habit_draft(pattern, names)) is not None
        ]
        drafts += [
            draft
            for routine in self._household.routines
            if (draft := await self._async_household_draft(routine)) is not None
        ]
        drafts += await self._async_capability_drafts()
        self._note_overrides()
        self._note_removed()
        drafts += await self._async_revision_drafts()
        result = self.book.merge(
            self._with_feedback(drafts),
            dt_util.utcnow(),
            max_kept=self.settings.max_kept,
            expire_after=self.settings.expire_after,
            stale=self._stale(),
        )
        for expired in result.expired:
            self._unannounce(expired.suggestion_id)
        for dropped in result.dropped:
            self._leave_summary(dropped.suggestion_id)
        self._unannounced += [
            item.suggestion_id
            for item in result.to_announce
            if item.suggestion_id not in self._unannounced
        ]
        self._save()
        self._changed.async_send()
        if any(item not in self._announcing for item in self._unannounced):
            self.entry.async_create_background_task(
                self.hass, self._async_announce(), "ha_ai announce suggestions"
            )
        return sum(item.is_open for item in self.book.query()), len(result.new)

    def _stale(self) -> set[str]:
        """Return the open suggestions whose finding is known to be gone.

        A feature whose capability came into use (or whose device left) is no
        longer among the judgement's findings; before the first judgement
        nothing is known about them. A suggestion naming an entity Home
        Assistant no longer has (no state, no registry entry) is gone too. A
        revision is drafted at every refresh while its evidence holds: one not
        drafted now is gone (the merge keeps those drafted), unless it is being
        applied (accepted); it may name a missing entity, which is its very point.
        """
        judged = self.insights.last_judged is not None
        return {
            suggestion.suggestion_id
            for suggestion in self.book.query()
            if suggestion.is_open
            and (
                (judged and suggestion.kind is SuggestionKind.FEATURE)
                or (
                    suggestion.kind in REVISION_KINDS
                    and suggestion.status is not SuggestionStatus.ACCEPTED
                )
                or not all(map(self._exists, suggestion.entities))
            )
        }

    def _exists(self, entity_id: str) -> bool:
        """Return whether Home Assistant still has the entity."""
        return (
            self.hass.states.get(entity_id) is not None
            or er.async_get(self.hass).async_get(entity_id) is not None
        )

    async def _async_revision_drafts(self) -> list[SuggestionDraft]:
        """Return the revisions of the automations HA AI deployed from suggestions.

        An automation's config is its deployed suggestion's automation (the
        latest one: an accepted revision replaces it under the same id). Those
        deployed by an outside program (remote deploy) have no suggestion, and
        HA AI keeps no copy of their config; reading `automations.yaml` back at
        every refresh is not worth it, so they are not revised. Of each
        automation's candidates (`engine.automations.revise`), the first that
        the user has not dismissed and whose automation passes the same checks
        as every automation (or that has none) is drafted.
        """
        now = dt_util.now()
        dismissed = set(self.book.dismissed_ids)
        followed = set(self.runs.followed)
        drafts: list[SuggestionDraft] = []
        for automation_id, (current, origin) in self._deployed_configs().items():
            if automation_id not in followed:
                continue  # removed meanwhile (by a remote command, say)
            names = self._entity_facts(current.entities)
            candidates = revisions(
                current.automation,
                self.runs.table.recent_runs(automation_id),
                self.runs.table.get(automation_id),
                exists=self._exists,
                now=now,
                stale_after=self.settings.stale_after,
                deployed_at=self.deployer.deployed_at(automation_id)
                or current.updated_at,
                pattern_gone=self._pattern_gone(origin),
                enabled=self._enabled(automation_id),
                names={entity_id: facts.name for entity_id, facts in names.items()},
            )
            for revision in candidates:
                draft = draft_from_revision(revision)
                if draft.suggestion_id in dismissed:
                    continue
                if draft.automation is not None:
                    try:
                        checked = await async_check_automation(
                            self.hass,
                            draft.automation,
                            automation_id=automation_id,
                            safety=self.settings.safety,
                        )
                    except AutomationRefusedError as err:
                        LOGGER.debug(
                            "Not proposing for automation %s (%s): %s",
                            automation_id,
                            revision.change_words,
                            err.message,
                        )
                        continue
                    draft = replace(draft, automation=checked)
                drafts.append(draft)
                break
        return drafts

    def _deployed_configs(self) -> dict[str, tuple[Suggestion, Suggestion | None]]:
        """Return, by automation id, its latest deployed config and its origin.

        The origin is the habit (or household) suggestion it was deployed from,
        whose finding says whether its habit is still there.
        """
        configs: dict[str, Suggestion] = {}
        origins: dict[str, Suggestion] = {}
        for suggestion in sorted(
            self.book.query(SuggestionStatus.DEPLOYED), key=lambda s: s.updated_at
        ):
            automation_id = suggestion.automation_id
            if automation_id is None or suggestion.kind is SuggestionKind.REMOVE:
                continue
            if suggestion.automation is not None:
                configs[automation_id] = suggestion
            if suggestion.kind not in REVISION_KINDS:
                origins[automation_id] = suggestion
        return {
            automation_id: (config, origins.get(automation_id))
            for automation_id, config in configs.items()
        }

    def _pattern_gone(self, origin: Suggestion | None) -> bool:
        """Return whether the latest analysis no longer finds the origin's habit.

        A deployed habit is marked automated by the analysis and no longer
        drafted, so its suggestion's `last_seen` stops there: what tells is
        whether the analysis still finds the pattern (or household routine)
        by its id, automated or not.
        """
        if origin is None or not self._patterns_known:
            return False
        if origin.kind is SuggestionKind.HOUSEHOLD:
            routine_id = origin.source.get("routine_id")
            found = {routine.routine_id for routine in self._household.routines}
            return isinstance(routine_id, str) and routine_id not in found
        pattern_id = origin.source.get("pattern_id")
        return isinstance(pattern_id, str) and pattern_id not in {
            pattern.pattern_id for pattern in self._patterns
        }

    def _automation_entity(self, automation_id: str) -> str | None:
        return er.async_get(self.hass).async_get_entity_id(
            AUTOMATION_DOMAIN, AUTOMATION_DOMAIN, automation_id
        )

    def _enabled(self, automation_id: str) -> bool:
        """Return whether the automation is on (one without an entity counts as on)."""
        entity_id = self._automation_entity(automation_id)
        state = self.hass.states.get(entity_id) if entity_id else None
        return state is None or state.state != "off"

    async def _async_capability_drafts(self) -> list[SuggestionDraft]:
        """Return the drafts of the unused capabilities that can change the book.

        A large house has tens of thousands of findings: choosing the few hundred
        that matter (ids the book holds, and the best `max_kept` of the others) and
        wording them runs in executor slices of a few milliseconds, off the event
        loop, from plain data (the judge's frozen findings, snapshots of the book's
        ids). A small house is drafted in place, quicker than a trip to a thread.
        """
        findings = self.insights.findings
        steps = capability_draft_steps(
            findings,
            known=frozenset(item.suggestion_id for item in self.book.query()),
            dismissed=frozenset(self.book.dismissed_ids),
            max_new=self.settings.max_kept,
        )
        if len(findings) <= DRAFT_IN_PLACE_FINDINGS:
            return run_to_end(steps)
        return await async_run_in_slices(self.hass, steps)

    async def _async_habit_draft(
        self, pattern: Pattern, names: dict[str, EntityFacts]
    ) -> SuggestionDraft | None:
        """Return a habit's draft with its checked automation, or None."""
        draft = draft_from_pattern(pattern, names)
        if draft is None:
            return None
        automation = render_automation(
            pattern,
            automation_id=AUTOMATION_ID_PREFIX + draft.suggestion_id,
            names={key: facts.name for key, facts in names.items()},
        )
        return await self._async_with_checked(draft, automation, pattern.pattern_id)

    async def _async_household_draft(
        self, routine: HouseholdRoutine
    ) -> SuggestionDraft | None:
        """Return a household routine's draft with its checked automation, or None.

        Its automation is triggered by HA AI's household event entity: without
        that entity (disabled, removed) there is nothing to propose.
        """
        event_entity_id = er.async_get(self.hass).async_get_entity_id(
            EVENT_DOMAIN, DOMAIN, f"{self.entry.entry_id}_{HOUSEHOLD_EVENT_KEY}"
        )
        if event_entity_id is None:
            return None
        follower_ids = [step.entity_id for step in routine.steps]
        names = self._entity_facts(filter(self._exists, follower_ids))
        draft = draft_from_household(routine, names)
        if draft is None or not all(map(self._exists, draft.entities)):
            return None
        automation = render_household(
            routine,
            automation_id=AUTOMATION_ID_PREFIX + draft.suggestion_id,
            names={key: facts.name for key, facts in names.items()},
            event_entity_id=event_entity_id,
        )
        return await self._async_with_checked(draft, automation, routine.routine_id)

    async def _async_with_checked(
        self,
        draft: SuggestionDraft,
        automation: dict[str, Any] | None,
        finding_id: str,
    ) -> SuggestionDraft | None:
        """Return the draft carrying its automation once checked, or None.

        None when no automation can keep the finding, or when Home Assistant's
        validation or the safety rules refuse it: such a finding is not proposed.
        """
        if automation is None:
            LOGGER.debug("No automation can keep %s", finding_id)
            return None
        try:
            checked = await async_check_automation(
                self.hass,
                automation,
                automation_id=AUTOMATION_ID_PREFIX + draft.suggestion_id,
                safety=self.settings.safety,
            )
        except AutomationRefusedError as err:
            LOGGER.debug("Not proposing %s: %s", finding_id, err.message)
            return None
        return replace(draft, automation=checked)

    def _entity_facts(self, entity_ids: Iterable[str]) -> dict[str, EntityFacts]:
        """Return the name and area of each entity."""
        entities = er.async_get(self.hass)
        devices = dr.async_get(self.hass)
        areas = ar.async_get(self.hass)
        facts: dict[str, EntityFacts] = {}
        for entity_id in entity_ids:
            if entity_id not in facts:
                state = self.hass.states.get(entity_id)
                name = state.name if state is not None else entity_id
                area_id = None
                if (entry := entities.async_get(entity_id)) is not None:
                    area_id = entry.area_id
                    if area_id is None and entry.device_id is not None:
                        device = devices.async_get(entry.device_id)
                        area_id = device.area_id if device is not None else None
                area = areas.async_get_area(area_id) if area_id else None
                facts[entity_id] = EntityFacts(
                    name=name, area=area.name if area is not None else None
                )
        return facts

    async def _async_announce(self) -> None:
        """Reword new suggestions with the LLM (if any), then announce each once.

        A suggestion already being announced by an earlier run is left to it;
        the enricher's deadline bounds how long the announcements wait.
        """
        batch = [item for item in self._unannounced if item not in self._announcing]
        self._announcing.update(batch)
        try:
            await self._async_announce_batch(batch)
        finally:
            # Interrupted (a stop), the batch stays waiting for the next start.
            self._announcing.difference_update(batch)
        done = set(batch)
        self._unannounced = [item for item in self._unannounced if item not in done]
        self.book.mark_announced(batch)
        self._save()
        self._changed.async_send()

    async def _async_announce_batch(self, batch: list[str]) -> None:
        pending = [
            suggestion
            for suggestion_id in batch
            if (suggestion := self.book.get(suggestion_id)) is not None
            and suggestion.status == SuggestionStatus.NEW
        ]
        # A revision's automation keeps its id and words: the LLM leaves it alone.
        enrichable = [item for item in pending if item.kind not in REVISION_KINDS]
        if self.enricher is not None and enrichable:
            await self._async_enrich(enrichable)
        announced: list[str] = []
        for original in pending:
            suggestion = self.book.get(original.suggestion_id)
            if suggestion is None or suggestion.status != SuggestionStatus.NEW:
                continue  # answered (or gone) while the LLM was asked
            announced.append(suggestion.suggestion_id)
            self.bus.async_publish_event(
                ["suggestions", "new"],
                {
                    "suggestion_id": suggestion.suggestion_id,
                    "title": plain_text(suggestion.title),
                    "description": plain_text(suggestion.description),
                    "kind": str(suggestion.kind),
                    "category": suggestion.category,
                    "confidence": round(suggestion.confidence, 3),
                    "entities": list(suggestion.entities),
                },
            )
        if announced and self.settings.notify:
            self._notify(announced)

    async def _async_enrich(self, pending: list[Suggestion]) -> None:
        """Let the LLM reword suggestions; its automations pass the same checks."""
        assert self.enricher is not None  # noqa: S101 - checked by the caller

        async def validate(automation: dict[str, Any]) -> str | None:
            try:
                await async_check_automation(
                    self.hass,
                    automation,
                    automation_id="ha_ai_llm_check",
                    safety=self.settings.safety,
                )
            except AutomationRefusedError as err:
                return err.message
            return None

        findings = [self._llm_finding(suggestion) for suggestion in pending]
        outcomes = await self.enricher.async_enrich(findings, validate)
        for outcome in outcomes:
            if outcome.text is None:
                LOGGER.debug(
                    "LLM text for %s not used: %s %s",
                    outcome.finding_id,
                    outcome.reason,
                    log_safe(outcome.detail),
                )
                continue
            suggestion, text = outcome.finding_id, outcome.text
            automation = text.automation
            title = ""  # HA AI's rendered title stays true to its automation
            known = self.book.get(suggestion)
            if automation is not None and known is not None:
                # The LLM's automation is narrowed and checked; its title is
                # HA AI's, from what it does, never the LLM's free text.
                title = automation_title(automation, self._entity_facts(known.entities))
                automation = {
                    **automation,
                    "id": AUTOMATION_ID_PREFIX + suggestion,
                    "alias": title or automation.get("alias", ""),
                }
            try:
                self.book.apply_enrichment(
                    suggestion, title, text.description, automation
                )
            except SuggestionError as err:
                LOGGER.debug(
                    "Rewording of %s not applied: %s", suggestion, log_safe(str(err))
                )

    def _llm_finding(self, suggestion: Suggestion) -> LlmFinding:
        """Return what the LLM may see of a suggestion: facts, never instructions."""
        facts = self._entity_facts(suggestion.entities)
        source = suggestion.source
        times = []
        if "time" in source:
            times.append(f"{source['time']} ({source.get('day_class', 'daily')})")
        return LlmFinding(
            finding_id=suggestion.suggestion_id,
            kind=str(suggestion.kind),
            entities=[
                LlmEntity(entity_id, facts[entity_id].name, facts[entity_id].area or "")
                for entity_id in suggestion.entities
            ],
            title=suggestion.title,
            description=suggestion.description,
            areas=sorted({f.area for f in facts.values() if f.area}),
            times=times,
            counts={
                key: value
                for key, value in source.items()
                if key in _LLM_COUNTS and isinstance(value, int | float)
            },
            confidence=suggestion.confidence,
            details={
                key: value
                for key, value in source.items()
                if key in _LLM_DETAILS and isinstance(value, str | int | float | bool)
            },
            automation=suggestion.automation,
        )

    def _notify(self, announced: list[str]) -> None:
        """Show one summary of the waiting suggestions, replacing the last one.

        It lists what this and earlier summaries announced that still waits, so
        one notification says what there is to answer; its texts (names of the
        house too) are literal.
        """
        waiting = [
            suggestion
            for suggestion_id in dict.fromkeys([*self._summarised, *announced])
            if (suggestion := self.book.get(suggestion_id)) is not None
            and suggestion.status == SuggestionStatus.NEW
        ]
        waiting.sort(key=order_key)
        self._summarised = [suggestion.suggestion_id for suggestion in waiting]
        best = "\n".join(
            f"- {markdown_safe(suggestion.title, _NOTIFICATION_TEXT)}"
            for suggestion in waiting[:SUMMARY_BEST]
        )
        more = len(waiting) - SUMMARY_BEST
        others = f"\n- and {more} more" if more > 0 else ""
        count = len(waiting)
        persistent_notification.async_create(
            self.hass,
            f"{best}{others}\n\n"
            "Accept, dismiss or snooze them on the HA AI card of a dashboard, "
            f"or with the actions `{DOMAIN}.accept_suggestion` and "
            f"`{DOMAIN}.dismiss_suggestion`.",
            title=f"HA AI has {count} new suggestion{'s' if count > 1 else ''}",
            notification_id=SUMMARY_NOTIFICATION_ID,
        )

    def _unannounce(self, suggestion_id: str) -> None:
        """Forget a suggestion's announcement; the summary goes with its last one."""
        if suggestion_id in self._unannounced:
            self._unannounced.remove(suggestion_id)
        self._leave_summary(suggestion_id)

    def _leave_summary(self, suggestion_id: str) -> None:
        """Take an answered or removed suggestion off the summary's list."""
        if suggestion_id in self._summarised:
            self._summarised.remove(suggestion_id)
            if not self._summarised:
                persistent_notification.async_dismiss(
                    self.hass, SUMMARY_NOTIFICATION_ID
                )

    # The user's answers

    async def async_accept(self, suggestion_id: str) -> Suggestion:
        """Accept a suggestion and deploy its automation (if it has one)."""
        suggestion = self._change(suggestion_id, SuggestionStatus.ACCEPTED)
        self._unannounce(suggestion_id)
        if suggestion.kind in REVISION_KINDS:
            return await self._async_apply_revision(suggestion)
        if suggestion.kind is SuggestionKind.FEATURE or suggestion.automation is None:
            self._note_accepted(suggestion)
            return suggestion  # a feature deploys nothing: the user follows its steps
        automation_id = AUTOMATION_ID_PREFIX + suggestion_id
        started = time.perf_counter()
        try:
            checked = await async_check_automation(
                self.hass,
                suggestion.automation,
                automation_id=automation_id,
                safety=self.settings.safety,
            )
            await self.deployer.async_deploy(
                checked, source="suggestion", suggestion_id=suggestion_id
            )
        except AutomationRefusedError as err:
            self._change(suggestion_id, SuggestionStatus.FAILED, error=err.message)
            self._respond(automation_id, suggestion_id, started, error=err.message)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="deploy_failed",
                translation_placeholders={"error": err.message},
            ) from err
        self._respond(automation_id, suggestion_id, started, error=None)
        deployed = self._change(
            suggestion_id, SuggestionStatus.DEPLOYED, automation_id=automation_id
        )
        self._note_accepted(deployed)
        return deployed

    async def _async_apply_revision(self, suggestion: Suggestion) -> Suggestion:
        """Do what an accepted revision says to its automation; report it.

        A change deploys the revised automation (checked again) under the
        automation's own id, which HA AI may replace only while it is still the
        one HA AI wrote; turning off calls `automation.turn_off`; removing takes
        it out of automations.yaml, and the suggestions it was deployed from are
        dismissed, so they are never proposed again.
        """
        suggestion_id = suggestion.suggestion_id
        automation_id = suggestion.source.get("automation_id")
        started = time.perf_counter()
        try:
            if not is_automation_id(
                automation_id
            ) or not self.deployer.deployed_by_ha_ai(automation_id):
                raise AutomationRefusedError(  # noqa: TRY301 - reported below
                    "not_ours",
                    "The automation this suggestion is about is not one HA AI "
                    "deployed (any more)",
                )
            if suggestion.kind is SuggestionKind.REMOVE:
                await self.deployer.async_remove(automation_id)
            elif suggestion.automation is not None:
                checked = await async_check_automation(
                    self.hass,
                    suggestion.automation,
                    automation_id=automation_id,
                    safety=self.settings.safety,
                )
                await self.deployer.async_deploy(
                    checked, source="suggestion", suggestion_id=suggestion_id
                )
            else:
                await self._async_turn_off(automation_id)
        except AutomationRefusedError as err:
            shown = str(automation_id) if is_automation_id(automation_id) else "?"
            self._change(suggestion_id, SuggestionStatus.FAILED, error=err.message)
            self._respond(shown, suggestion_id, started, error=err.message)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="deploy_failed",
                translation_placeholders={"error": err.message},
            ) from err
        self._respond(automation_id, suggestion_id, started, error=None)
        done = self._change(
            suggestion_id, SuggestionStatus.DEPLOYED, automation_id=automation_id
        )
        if suggestion.kind is SuggestionKind.REMOVE:
            for deployed in self.book.query(SuggestionStatus.DEPLOYED):
                if (
                    deployed.automation_id == automation_id
                    and deployed.suggestion_id != suggestion_id
                ):
                    self._change(deployed.suggestion_id, SuggestionStatus.DISMISSED)
        return done

    async def _async_turn_off(self, automation_id: str) -> None:
        """Turn the automation off, as its switch in Home Assistant does."""
        entity_id = self._automation_entity(automation_id)
        if entity_id is None:
            raise AutomationRefusedError(
                "not_loaded",
                f"Home Assistant has no automation entity for {automation_id!r}",
            )
        try:
            await self.hass.services.async_call(
                AUTOMATION_DOMAIN,
                "turn_off",
                {"entity_id": entity_id},
                blocking=True,
            )
        except HomeAssistantError as err:
            raise AutomationRefusedError(
                "turn_off", f"Home Assistant could not turn {entity_id} off: {err}"
            ) from err

    def async_dismiss(self, suggestion_id: str) -> Suggestion:
        """Dismiss a suggestion: it never comes back."""
        suggestion = self._change(suggestion_id, SuggestionStatus.DISMISSED)
        self._unannounce(suggestion_id)
        self._note_dismissed(suggestion)
        return suggestion

    def async_snooze(self, suggestion_id: str, days: int) -> Suggestion:
        """Put a new suggestion off for `days` days; then it is new again, quietly."""
        try:
            change = self.book.snooze(suggestion_id, days, dt_util.utcnow())
        except SuggestionError as err:
            raise _validation_error(err, suggestion_id) from err
        self._unannounce(suggestion_id)
        self._status_changed(change, error=None)
        self._schedule_wake()
        return change.suggestion

    @callback
    def _async_wake(self, now: datetime) -> None:
        """Make the snoozed suggestions whose date has come new again."""
        self._cancel_wake = None
        for change in self.book.wake(now):
            self._status_changed(change, error=None)
        self._schedule_wake()

    def _schedule_wake(self) -> None:
        """Wake at the date of the first snoozed suggestion (one timer at most)."""
        if self._cancel_wake is not None:
            self._cancel_wake()
            self._cancel_wake = None
        if (when := self.book.next_wake) is not None:
            self._cancel_wake = async_track_point_in_utc_time(
                self.hass, self._async_wake, when
            )

    @callback
    def async_mark_deployed(self, suggestion_id: str, automation_id: str) -> None:
        """Record that an outside program deployed a suggestion's automation."""
        if (suggestion := self.book.get(suggestion_id)) is None:
            return
        for status in _PATH_TO_DEPLOYED.get(suggestion.status, ()):
            suggestion = self._change(
                suggestion_id,
                status,
                automation_id=automation_id
                if status == SuggestionStatus.DEPLOYED
                else None,
            )
        self._unannounce(suggestion_id)
        if suggestion.status is SuggestionStatus.DEPLOYED:
            self._note_accepted(suggestion)

    def _change(
        self,
        suggestion_id: str,
        status: SuggestionStatus,
        *,
        error: str | None = None,
        automation_id: str | None = None,
    ) -> Suggestion:
        """Change a status, publish it and save; bad requests become clear errors."""
        try:
            change = self.book.set_status(
                suggestion_id,
                status,
                dt_util.utcnow(),
                error=error,
                automation_id=automation_id,
            )
        except SuggestionError as err:
            raise _validation_error(err, suggestion_id) from err
        self._status_changed(change, error=error)
        return change.suggestion

    def _status_changed(self, change: StatusChange, *, error: str | None) -> None:
        """Publish a status change, save it and tell the listeners."""
        self.bus.async_publish_event(
            ["suggestions", "updated"],
            {
                "suggestion_id": change.suggestion.suggestion_id,
                "status": str(change.current),
                "previous_status": str(change.previous),
                "error": error,
            },
        )
        self._save()
        self._changed.async_send()

    def _respond(
        self,
        automation_id: str,
        suggestion_id: str | None,
        started: float,
        *,
        error: str | None,
    ) -> None:
        self.bus.async_publish_event(
            ["responses", "automation", "failed" if error else "executed"],
            {
                "automation_id": automation_id,
                "suggestion_id": suggestion_id,
                "success": error is None,
                "error": error,
                "execution_time_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    # What the answers say: the rank factor

    def _feedback_keys(
        self,
        suggestion: SuggestionDraft,
        facts: dict[str, EntityFacts] | None = None,
    ) -> FeedbackKeys:
        """Return the keys a suggestion's answers count under: category, kind, areas."""
        facts = facts if facts is not None else self._entity_facts(suggestion.entities)
        return FeedbackKeys.of(
            suggestion.category,
            str(suggestion.kind),
            (facts[entity_id].area for entity_id in suggestion.entities),
        )

    def _feedback_for(
        self, draft: SuggestionDraft, facts: dict[str, EntityFacts]
    ) -> SuggestionDraft:
        """Return the draft with the factor of the answers to suggestions like it."""
        return replace(
            draft, feedback=self.feedback.factor(self._feedback_keys(draft, facts))
        )

    def _with_feedback(self, drafts: list[SuggestionDraft]) -> list[SuggestionDraft]:
        """Return each draft with its factor; names and areas are looked up once."""
        facts = self._entity_facts(
            entity_id for draft in drafts for entity_id in draft.entities
        )
        return [self._feedback_for(draft, facts) for draft in drafts]

    def _note_accepted(self, suggestion: Suggestion) -> None:
        """Count an accepted suggestion kept: deployed, or a feature taken up.

        Only its automation's overrides from now on count against it.
        """
        automation_id = suggestion.automation_id
        overrides = (
            self.runs.table.get(automation_id).overrides
            if self.runs is not None and automation_id is not None
            else 0
        )
        self.feedback.accepted(
            suggestion.suggestion_id,
            self._feedback_keys(suggestion),
            automation_id=automation_id,
            overrides_now=overrides,
        )
        self._save()

    def _note_dismissed(self, suggestion: Suggestion) -> None:
        """Count a dismissal (and take back the "kept" of one accepted before)."""
        self.feedback.dismissed(
            suggestion.suggestion_id, self._feedback_keys(suggestion)
        )
        self._save()

    @callback
    def _async_runs_changed(self) -> None:
        """Count new overrides and removed automations, and judge the runs again.

        The revisions of HA AI's automations are drafted by the (debounced)
        refresh; the answers are counted at once.
        """
        if self._note_overrides() | self._note_removed():
            self._save()
        self._refresher.async_schedule_call()

    def _note_overrides(self) -> bool:
        """Count the overrides of each followed automation since they were last seen.

        Only automations of a suggestion the book knows count: their overrides
        go to its category, kind and areas. Return whether any was new.
        """
        counted = 0
        for automation_id in self.runs.followed:
            suggestion_id = self.deployer.suggestion_of(automation_id)
            suggestion = (
                self.book.get(suggestion_id) if suggestion_id is not None else None
            )
            if suggestion is None:
                continue
            total = self.runs.table.get(automation_id).overrides
            if total == self.feedback.overrides_seen(suggestion.suggestion_id):
                continue
            counted += self.feedback.note_overrides(
                suggestion.suggestion_id,
                self._feedback_keys(suggestion),
                total,
                automation_id=automation_id,
            )
        return counted > 0

    def _note_removed(self) -> bool:
        """Take back the "kept" of accepted automations that are gone.

        Gone: HA AI removed it, or it is no longer in Home Assistant (the user
        deleted it in the automation editor). Return whether any was.
        """
        registry = er.async_get(self.hass)
        removed = False
        for suggestion_id, automation_id in self.feedback.kept_automations():
            kept = (
                self.deployer.deployed_by_ha_ai(automation_id)
                and registry.async_get_entity_id(
                    "automation", "automation", automation_id
                )
                is not None
            )
            if not kept:
                removed |= self.feedback.not_kept(suggestion_id)
        return removed

    # For entities, services and diagnostics

    def query(
        self, status: SuggestionStatus | None = None, kind: SuggestionKind | None = None
    ) -> list[Suggestion]:
        """Return suggestions of a status and kind (None: any), best first."""
        return self.book.query(status, kind)

    @property
    def pending(self) -> int:
        """Return how many suggestions wait for the user's answer."""
        return self.book.counts()[SuggestionStatus.NEW]

    @property
    def deployed(self) -> int:
        """Return how many suggestions run as automations.

        A revision deployed changes an automation already counted (or removes
        one, whose suggestion is dismissed then): it is not counted again.
        """
        return sum(
            suggestion.kind not in REVISION_KINDS
            for suggestion in self.book.query(SuggestionStatus.DEPLOYED)
        )

    @property
    def success_percent(self) -> float | None:
        """Return the share of deployments that worked, in percent (None: none)."""
        rate = self.book.success_rate()
        return None if rate is None else round(rate * 100, 1)

    def top(self) -> list[dict[str, Any]]:
        """Return the best waiting suggestions, for an entity's attributes."""
        return [
            {
                "suggestion_id": item.suggestion_id,
                "title": plain_text(item.title),
                "kind": str(item.kind),
                "confidence": round(item.confidence, 3),
            }
            for item in self.book.query(SuggestionStatus.NEW)[:TOP_SUGGESTIONS]
        ]

    def as_diagnostics(self) -> dict[str, Any]:
        """Return a summary for the diagnostics download."""
        return {
            "counts": {str(key): value for key, value in self.book.counts().items()},
            "success_rate": self.book.success_rate(),
            "unannounced": len(self._unannounced),
            "settings": {
                "max_kept": self.settings.max_kept,
                "expire_after_days": self.settings.expire_after.days,
                "stale_after_days": self.settings.stale_after.days,
                "notify": self.settings.notify,
                "allowed_services": list(self.settings.safety.allowed),
                "sensitive_services_allowed": list(
                    self.settings.safety.sensitive_allowed
                ),
            },
            "llm": self.enricher is not None,
            "feedback": self.feedback.summary(),
        }

    def _to_store(self) -> dict[str, Any]:
        return {
            "book": book_to_store(self.book),
            "unannounced": self._unannounced,
            "feedback": self.feedback.as_dict(),
        }

    def _save(self) -> None:
        self._store.async_save_later()


def _validation_error(
    err: SuggestionError, suggestion_id: str
) -> ServiceValidationError:
    """Return the book's refusal as the user's error, translated by its reason."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=str(err.reason),
        translation_placeholders={"suggestion_id": suggestion_id, "error": str(err)},
    )


def _pattern_entities(pattern: Pattern) -> tuple[str, ...]:
    trigger = getattr(pattern, "trigger_entity_id", None)
    return (trigger, pattern.entity_id) if trigger else (pattern.entity_id,)
