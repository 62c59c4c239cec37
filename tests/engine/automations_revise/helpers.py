"""Automations and runs for the revision tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.ha_ai.engine.automations.revise import Revision, revisions
from custom_components.ha_ai.engine.automations.runs import AutomationHealth, RunRecord

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday.
MONDAY = datetime(2026, 1, 5, 6, 59, tzinfo=BERLIN)
DEPLOYED_AT = MONDAY - timedelta(days=30)
NOW = MONDAY + timedelta(days=20)
NAMES = {"light.bedroom": "Bedroom light"}


def morning(**extra: Any) -> dict[str, Any]:
    """HA AI's 06:59 bedroom light routine, as deployed."""
    return {
        "id": "ha_ai_routine_1",
        "alias": "Bedroom light on at 06:59 every day",
        "description": "Learned routine. Proposed by HA AI.",
        "triggers": [{"trigger": "time", "at": "06:59:00"}],
        "conditions": [],
        "actions": [
            {"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}
        ],
        "mode": "single",
        **extra,
    }


def run(
    day: int,
    *,
    overridden: bool = False,
    success: bool = True,
    acted: str | None = None,
    sun_up: bool | None = None,
    home: bool | None = None,
    error: str | None = None,
) -> RunRecord:
    """A run on day `day` after MONDAY (0: Monday), at 06:59 local time."""
    at = MONDAY + timedelta(days=day)
    acted_at = None
    if acted is not None:
        hour, minute = (int(part) for part in acted.split(":"))
        acted_at = at.replace(hour=hour, minute=minute)
        if acted_at < at:
            acted_at += timedelta(days=1)
    return RunRecord(
        run_id=f"run{day}",
        at=at,
        success=success,
        error=error,
        overridden=overridden,
        acted_at=acted_at,
        sun_up=sun_up,
        home=home,
    )


_MORNING = object()


def candidates(
    runs: Iterable[RunRecord],
    automation: object = _MORNING,
    *,
    exists: set[str] | None = None,
    **given: Any,
) -> list[Revision]:
    """Return the candidates for `automation` (the morning one by default)."""
    runs = list(runs)
    facts: dict[str, Any] = {
        "exists": (lambda _entity: True) if exists is None else exists.__contains__,
        "now": NOW,
        "stale_after": timedelta(days=14),
        "deployed_at": DEPLOYED_AT,
        "pattern_gone": False,
        "names": NAMES,
    }
    facts.update(given)
    health = given.pop("health", None) or AutomationHealth(
        runs=len(runs), last_run=runs[-1].at if runs else None
    )
    facts.pop("health", None)
    return revisions(
        morning() if automation is _MORNING else automation, runs, health, **facts
    )
