"""An automations.yaml read the way the integration reads its loaded automations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from custom_components.ha_ai.engine.automations.references import (
    Unfollowed,
    as_list,
    read_automation,
    triggers_of,
)
from custom_components.ha_ai.engine.habits.model import (
    AutomationCoverage,
)

from .inputs import InputError, describe, read_input
from .text import clean, label, plural


def _construct_unfollowed(
    loader: yaml.SafeLoader, suffix: str, node: yaml.Node
) -> Unfollowed:
    if isinstance(node, yaml.MappingNode):
        value: object = loader.construct_mapping(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_scalar(node)
    return Unfollowed(tag=f"!{suffix}", value=value)


# Home Assistant's own tags (!include, !secret, !input, !env_var, ...) become
# Unfollowed values instead of errors.
AutomationsLoader: Any = type("AutomationsLoader", (yaml.SafeLoader,), {})
AutomationsLoader.add_multi_constructor("!", _construct_unfollowed)


@dataclass(slots=True)
class Automations:
    """What an automations.yaml already automates, and what could not be read."""

    name: str
    count: int = 0
    timed_targets: set[str] = field(default_factory=set)
    state_triggered: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    timed_actions: set[tuple[str, str, int]] = field(default_factory=set)
    triggered_actions: set[tuple[str, str | None, str, str]] = field(
        default_factory=set
    )

    def coverage(self) -> AutomationCoverage:
        """Return the coverage the engine takes."""
        return AutomationCoverage(
            timed_targets=frozenset(self.timed_targets),
            state_triggered=frozenset(self.state_triggered),
            timed_actions=frozenset(self.timed_actions),
            triggered_actions=frozenset(self.triggered_actions),
        )


def automation_name(automation: Mapping[Any, Any], index: int) -> str:
    """Return how messages name an automation: its alias, id or position."""
    for key in ("alias", "id"):
        value = automation.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return f"automation {clean(str(value).strip())!r}"
    return f"automation #{index + 1}"


def add_automation(result: Automations, automation: object, index: int) -> None:
    """Add what one automation covers to `result`."""
    if isinstance(automation, Unfollowed):
        result.problems.append(
            f"automation #{index + 1}: {automation} is not followed offline"
        )
        return
    if not isinstance(automation, dict):
        result.problems.append(
            f"automation #{index + 1} is a {type(automation).__name__}, not a mapping"
        )
        return
    result.count += 1
    name = automation_name(automation, index)
    if "use_blueprint" in automation:
        result.problems.append(f"{name} uses a blueprint, which is not read offline")
        return
    if not as_list(triggers_of(automation)):
        result.problems.append(f"{name} has no trigger")
    reading = read_automation(automation)
    triggers, targets = reading.triggers, reading.targets
    unfollowed = sorted({*triggers.unfollowed, *targets.unfollowed})
    if unfollowed:
        result.problems.append(
            f"{name}: {', '.join(unfollowed)} is not followed offline"
        )
    if (triggers.timed or triggers.watched) and not targets.entities:
        result.problems.append(
            f"{name} acts on no entity named in it (areas, devices and templates"
            " cannot be resolved offline)"
        )
    elif (triggers.timed or triggers.watched) and targets.unresolved:
        result.problems.append(
            f"{name} also acts on {plural(targets.unresolved, 'target')} by area,"
            " device or template, which cannot be resolved offline"
        )
    result.timed_targets |= reading.timed_targets
    result.state_triggered |= reading.state_triggered
    result.timed_actions |= reading.timed_actions
    result.triggered_actions |= reading.triggered_actions


def automation_list(data: object, result: Automations) -> list[object]:
    """Return the automations of the file: a list, or a single automation."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("triggers" in data or "trigger" in data):
        return [data]
    if isinstance(data, Unfollowed):
        result.problems.append(f"the automations are in {data}, not followed offline")
        return []
    result.problems.append(
        f"the file holds a {type(data).__name__}, not a list of automations"
    )
    return []


def load_automations(path: Path) -> Automations:
    """Return what the automations of an automations.yaml cover."""
    data = read_input(path, "automations")
    try:
        document = yaml.load(data, Loader=AutomationsLoader)  # noqa: S506
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(
            f"{describe(path, 'automations')} is not valid YAML{where}: {problem}"
        ) from err
    except RecursionError as err:
        raise InputError(f"{describe(path, 'automations')} nests too deeply") from err
    result = Automations(name=str(path))
    for index, automation in enumerate(automation_list(document, result)):
        add_automation(result, automation, index)
    return result


def automations_data(automations: Automations) -> dict[str, Any]:
    """Return what the report says about the automations that were read."""
    return {
        "file": automations.name,
        "automations": automations.count,
        "timed_targets": sorted(automations.timed_targets),
        "state_triggered": [list(pair) for pair in sorted(automations.state_triggered)],
        "problems": automations.problems,
    }


def render_automations(automations: Mapping[str, Any]) -> list[str]:
    """Return the line about the automations that were read."""
    timed = plural(len(automations["timed_targets"]), "entity", "entities")
    return [
        f"Automations: {clean(label(automations['file']))}:"
        f" {plural(automations['automations'], 'automation')};"
        f" timed ones act on {timed},"
        f" {plural(len(automations['state_triggered']), 'entity pair')} triggered"
        " by a state"
    ]
