"""`scripts/develop --check` of what the first analysis made of the demo history.

The demo household (`demo_history.demo_household`) plants routines, pairs, a
weekend routine, a forming routine and an automation's changes; this checks,
through the `ha_ai.get_suggestions` action and the *Patterns detected* sensor
as any client would, that the first analysis found each planted habit and
suggested a real automation for it, found the forming one without suggesting
it, and counted none of the automation's changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from .common import JSON
from .demo_history import DemoHousehold, Pair, Routine
from .hass_api import HassApi

PATTERNS_DETECTED = "sensor.ha_ai_patterns_detected"
# A suggested routine's time is the typical time found, near the planted one.
TIME_TOLERANCE_MINUTES = 30
WEEKDAYS = {
    "daily": None,
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "weekends": ["sat", "sun"],
}


def _minutes(at: object) -> int | None:
    """Return the minute of the day of a time trigger's `at` (HH:MM[:SS])."""
    try:
        hours, minutes = str(at).split(":")[:2]
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _near(minute: int | None, planted: int) -> bool:
    if minute is None:
        return False
    distance = abs(minute - planted) % 1440
    return min(distance, 1440 - distance) <= TIME_TOLERANCE_MINUTES


def _weekdays(automation: JSON) -> list[str] | None:
    for condition in automation.get("conditions") or []:
        if condition.get("condition") == "time" and condition.get("weekday"):
            return sorted(condition["weekday"])
    return None


def _acts(automation: JSON, entity_id: str, state: str) -> bool:
    """Tell whether the automation sets `entity_id` to `state`."""
    return any(
        action.get("action") == f"{entity_id.partition('.')[0]}.turn_{state}"
        and action.get("target", {}).get("entity_id") in (entity_id, [entity_id])
        for action in automation.get("actions") or []
    )


def routine_suggestion(suggestions: Iterable[JSON], routine: Routine) -> JSON | None:
    """Return the suggestion whose automation does the routine, if any."""
    wanted = WEEKDAYS[routine.day_class]
    for suggestion in suggestions:
        automation = suggestion.get("automation") or {}
        triggers = automation.get("triggers") or []
        if (
            suggestion.get("kind") == "routine"
            and _acts(automation, routine.entity_id, routine.state)
            and any(
                trigger.get("trigger") == "time"
                and _near(_minutes(trigger.get("at")), routine.minute_of_day)
                for trigger in triggers
            )
            and _weekdays(automation) == (sorted(wanted) if wanted else None)
        ):
            return suggestion
    return None


def pair_suggestion(suggestions: Iterable[JSON], pair: Pair) -> JSON | None:
    """Return the suggestion whose automation follows A with B, if any."""
    for suggestion in suggestions:
        automation = suggestion.get("automation") or {}
        if (
            suggestion.get("kind") == "used_together"
            and any(
                trigger.get("entity_id") == pair.trigger_entity_id
                and trigger.get("to") == pair.trigger_state
                for trigger in automation.get("triggers") or []
            )
            and _acts(automation, pair.entity_id, pair.state)
        ):
            return suggestion
    return None


def _suggested(
    household: DemoHousehold, suggestions: list[JSON]
) -> tuple[list[str], list[str]]:
    """Return the planted routines and pairs suggested, and those that are not."""
    found: list[str] = []
    problems: list[str] = []
    for routine in household.established:
        what = (
            f"{routine.entity_id} {routine.state} at {routine.time} {routine.day_class}"
        )
        if (suggestion := routine_suggestion(suggestions, routine)) is None:
            problems.append(f"no suggested automation for the routine {what}")
        else:
            label = "weekend routine" if routine.day_class == "weekends" else "routine"
            found.append(f"{label} {what}: {suggestion['title']!r}")
    for pair in household.pairs:
        what = (
            f"{pair.trigger_entity_id} {pair.trigger_state} -> "
            f"{pair.entity_id} {pair.state}"
        )
        if (suggestion := pair_suggestion(suggestions, pair)) is None:
            problems.append(f"no suggested automation for the pair {what}")
        else:
            found.append(f"pair {what}: {suggestion['title']!r}")
    return found, problems


def _not_suggested(
    household: DemoHousehold, suggestions: list[JSON], levels: JSON
) -> tuple[list[str], list[str]]:
    """Return whether the forming routine and the automation's changes stayed out."""
    found: list[str] = []
    problems = [
        f"the forming routine of {routine.entity_id} is suggested"
        for routine in household.forming
        if routine_suggestion(suggestions, routine) is not None
    ]
    forming = int(levels.get("forming") or 0)
    if forming != len(household.forming):
        problems.append(
            f"{forming} forming patterns, not {len(household.forming)} "
            "(the forming routine, nothing made by an automation)"
        )
    else:
        found += [
            f"forming routine {r.entity_id} {r.state} at {r.time} (not suggested)"
            for r in household.forming
        ]
    for routine in household.automated:
        what = f"{routine.entity_id} {routine.state} at {routine.time}"
        if routine_suggestion(suggestions, routine) is not None:
            problems.append(f"the automation's changes ({what}) counted as a habit")
        else:
            found.append(f"automation-made {what}: not counted")
    return found, problems


def history_problems(
    household: DemoHousehold, suggestions: list[JSON], levels: JSON
) -> tuple[list[str], list[str]]:
    """Return what was found (lines to show) and what is wrong.

    `levels` holds the *Patterns detected* sensor's counts per level.
    """
    found, problems = _suggested(household, suggestions)
    kept_out, wrong = _not_suggested(household, suggestions, levels)
    if not any(s.get("automation") for s in suggestions):
        wrong.append("no suggestion has an automation")
    return found + kept_out, problems + wrong


async def check_history(api: HassApi, household: DemoHousehold) -> bool:
    """Verify the first analysis found the demo household's habits; print them."""
    response = await api.call_service(
        "ha_ai", "get_suggestions", {"limit": 200}, return_response=True
    )
    suggestions: list[JSON] = response["service_response"]["suggestions"]
    sensor = await api.request("GET", f"/api/states/{PATTERNS_DETECTED}")
    found, problems = history_problems(household, suggestions, sensor["attributes"])
    if problems:
        print(f"CHECK FAILED: {'; '.join(problems)}", flush=True)
        return False
    attributes = sensor["attributes"]
    lines = [
        f"The first analysis found {sensor['state']} patterns "
        f"({attributes.get('established', 0)} established, "
        f"{attributes.get('forming', 0)} forming) and "
        f"{sum(bool(s.get('automation')) for s in suggestions)} suggested automations:"
    ]
    lines += [f"  {line}" for line in found]
    print("\n".join(lines), flush=True)
    return True
