"""Find every service an automation calls, however deeply it is nested.

Safety rules are only as good as this walk: a service hidden in a `choose`
option, an `if` branch, a `parallel` block or a device action must be found
like one at the top. The config may come from an LLM or from the network, so
the walk never raises and never follows more than a bounded number of steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

MAX_DEPTH: Final = 20
MAX_ACTIONS: Final = 200
_MAX_TEXT: Final = 100  # of a name quoted back in a message

_SERVICE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# Keys of an action step whose value holds more action steps.
_NESTED_KEYS: Final = ("sequence", "then", "else", "parallel", "default")
# Device actions name what they do in their own words; these are the services the
# words stand for, so that opening a cover with a device action is found as the
# `cover.open_cover` it is.
_DEVICE_ACTION_SERVICES: Final[Mapping[str, Mapping[str, str]]] = {
    "alarm_control_panel": {
        "arm_away": "alarm_arm_away",
        "arm_home": "alarm_arm_home",
        "arm_night": "alarm_arm_night",
        "arm_vacation": "alarm_arm_vacation",
        "disarm": "alarm_disarm",
        "trigger": "alarm_trigger",
    },
    "cover": {
        "open": "open_cover",
        "close": "close_cover",
        "stop": "stop_cover",
        "set_position": "set_cover_position",
        "open_tilt": "open_cover_tilt",
        "close_tilt": "close_cover_tilt",
        "set_tilt_position": "set_cover_tilt_position",
    },
}


@dataclass(frozen=True, slots=True)
class CalledService:
    """A service an automation calls, and where (`actions[0].then[1].action`).

    `service` is the lower case `domain.service` when `valid`; otherwise the text
    as written, shortened (a template, or something that is no service name).
    """

    service: str
    path: str
    templated: bool = False
    valid: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    """Where the automation is not the shape of one, and how."""

    path: str
    message: str


@dataclass(slots=True)
class Walk:
    """What walking an automation's actions found."""

    calls: list[CalledService] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    steps: int = 0


def _called(text: str, path: str) -> CalledService:
    if "{{" in text or "{%" in text:
        return CalledService(text[:_MAX_TEXT], path, templated=True, valid=False)
    service = text.lower()  # Home Assistant lower-cases service names too
    if _SERVICE.fullmatch(service):
        return CalledService(service, path)
    return CalledService(text[:_MAX_TEXT], path, valid=False)


def _device_call(step: Mapping[object, object], path: str) -> CalledService:
    domain, kind = step.get("domain"), step.get("type")
    if not isinstance(domain, str) or not isinstance(kind, str):
        return CalledService(f"{domain!s}.{kind!s}"[:_MAX_TEXT], path, valid=False)
    service = _DEVICE_ACTION_SERVICES.get(domain.lower(), {}).get(kind.lower(), kind)
    return _called(f"{domain}.{service}", path)


def _step_calls(step: Mapping[object, object], path: str) -> Iterator[CalledService]:
    """Yield the services one step calls by itself (not in nested steps)."""
    for key in ("action", "service", "service_template"):
        value = step.get(key)
        if key == "service_template" and value is not None:
            yield CalledService(
                str(value)[:_MAX_TEXT], f"{path}.{key}", templated=True, valid=False
            )
        elif isinstance(value, str):
            yield _called(value, f"{path}.{key}")
        elif value is not None:
            yield CalledService(repr(value)[:_MAX_TEXT], f"{path}.{key}", valid=False)
    if "scene" in step:
        yield CalledService("scene.turn_on", f"{path}.scene")
    if "device_id" in step and not {"condition", "action", "service"} & step.keys():
        yield _device_call(step, path)


def _count(found: Walk, path: str) -> bool:
    """Count one more step; return False once there are too many to follow."""
    found.steps += 1
    if found.steps == MAX_ACTIONS + 1:
        found.problems.append(
            Problem(path, f"the automation has more than {MAX_ACTIONS} actions")
        )
    return found.steps <= MAX_ACTIONS


def _walk_actions(found: Walk, actions: object, path: str, depth: int) -> None:
    """Walk a list of action steps (or a single step, which HA also accepts)."""
    if depth > MAX_DEPTH:
        found.problems.append(
            Problem(path, f"actions are nested more than {MAX_DEPTH} levels deep")
        )
    elif isinstance(actions, Mapping):
        _walk_step(found, actions, path, depth)
    elif isinstance(actions, list):
        for index, step in enumerate(actions):
            if found.steps > MAX_ACTIONS:
                break
            _walk_step(found, step, f"{path}[{index}]", depth)
    else:
        found.problems.append(
            Problem(path, f"actions must be a list, not {type(actions).__name__}")
        )


def _walk_step(found: Walk, step: object, path: str, depth: int) -> None:
    if not _count(found, path):
        return
    if not isinstance(step, Mapping):
        found.problems.append(
            Problem(path, f"an action must be a mapping, not {type(step).__name__}")
        )
        return
    found.calls.extend(_step_calls(step, path))
    for key in _NESTED_KEYS:
        if key in step:
            _walk_actions(found, step[key], f"{path}.{key}", depth + 1)
    if "choose" in step:
        _walk_choose(found, step["choose"], f"{path}.choose", depth + 1)
    if "repeat" in step:
        repeat = step["repeat"]
        if isinstance(repeat, Mapping):
            sequence = repeat.get("sequence", [])
            _walk_actions(found, sequence, f"{path}.repeat.sequence", depth + 1)
        else:
            found.problems.append(Problem(f"{path}.repeat", "repeat must be a mapping"))


def _walk_choose(found: Walk, options: object, path: str, depth: int) -> None:
    if isinstance(options, Mapping):
        options = [options]
    if not isinstance(options, list):
        found.problems.append(Problem(path, "choose must be a list of options"))
        return
    for index, option in enumerate(options):
        option_path = f"{path}[{index}]"
        if not _count(found, option_path):
            break
        if isinstance(option, Mapping):
            sequence = option.get("sequence", [])
            _walk_actions(found, sequence, f"{option_path}.sequence", depth + 1)
        else:
            found.problems.append(
                Problem(option_path, "a choose option must be a mapping")
            )


def walk(config: object) -> Walk:
    """Walk every action of an automation (or a script, or a list of actions)."""
    found = Walk()
    if isinstance(config, list):
        _walk_actions(found, config, "actions", 1)
    elif not isinstance(config, Mapping):
        found.problems.append(
            Problem("", f"an automation must be a mapping, not {type(config).__name__}")
        )
    elif "use_blueprint" in config:
        # The actions live in the blueprint's file, out of sight of this walk.
        found.problems.append(
            Problem("use_blueprint", "an automation from a blueprint cannot be checked")
        )
    else:
        # `action` at the top of an automation is the old name of `actions`, and
        # a script keeps its actions in `sequence`.
        for key in ("actions", "action", "sequence"):
            if key in config:
                _walk_actions(found, config[key], key, 1)
    return found


def services_called(config: object) -> list[CalledService]:
    """Return every service the automation's actions call, nested ones included.

    Calls whose name is a template, or no service name at all, are returned too
    (not `valid`), so that nothing the automation calls goes unseen. Never raises.
    """
    return walk(config).calls
