"""Walk every part of an automation, and sort what it finds for the safety check.

Safety rules are only as good as this walk. It looks at the whole config, not
only at service calls: a signed automation with `- event: homeassistant_stop`
passed the old walk and stopped Home Assistant's web server when it ran. So:

1. The whole config is measured first (`bounds.py`): depth, number of values,
   text, and only JSON's kinds of values.
2. Every action step is sorted into its kind the way Home Assistant does it
   (the first of its keys in Home Assistant's own order), and each kind has an
   allow list of keys; a step of no allowed kind, or with a key not allowed for
   its kind, is refused. Nested steps (`choose`, `if`, `parallel`, `repeat`,
   `sequence`) are walked at any depth up to `MAX_DEPTH`, at most `MAX_ACTIONS`
   steps in all.
3. Triggers and conditions, wherever they are (`triggers`, `conditions`, `if`,
   `choose`, `wait_for_trigger`, condition steps), go to `triggers.py`.
4. What the step acts on (`target`, `entity_id`, `device_id`, ..., also inside
   `data`) must be written out: no template, no `all`, no `none`.
5. Every other string that is a template is kept, with its path, for the
   template check (`templates.py`); the names the automation defines
   (`variables`, `response_variable`) are kept for it too.

Step kinds and why each is allowed:

- service calls (`action`, or the old `service`): the service is judged by
  `safety.py` against the allow list and the sensitive list.
  `service_template` is refused: which service it calls cannot be known.
- `scene`: activates a scene the user made (judged as `scene.turn_on`).
- device actions (`device_id`, `domain`, `type`): judged as the service they
  stand for (a cover's `open` is `cover.open_cover`, a lock's `unlock` is
  `lock.unlock`, a button's `press` is `button.press`).
- `delay`, `wait_template`, `wait_for_trigger`, `stop`, `variables` and
  condition steps change only the run itself.
- `choose`, `if`, `parallel`, `sequence`: only hold other steps.
- `repeat`: only with a `count` from 1 to `MAX_REPEAT` or a `for_each` list of
  at most `MAX_REPEAT` items, written out; `while` and `until` can run without
  end and are refused.

Refused kinds: `event` (firing any event: `homeassistant_stop` stops Home
Assistant, `call_service` fakes a service call, and any other event can fake a
device's button press for every automation that listens to it; an automation
from HA AI has no reason to fire one, so none may), and
`set_conversation_response` (there is no conversation to answer).

The config may come from an LLM or from the network, so the walk never raises
and its work is bounded by the measured size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Final

from .bounds import size_problem
from .found import (
    TARGET_KEYS,
    CalledService,
    ProblemKind,
    ServiceData,
    Walk,
    join,
    shorten,
    strings,
)
from .templates import is_template
from .triggers import (
    DEVICE_KEYS,
    MAX_DEPTH,
    device_names,
    walk_condition,
    walk_conditions,
    walk_triggers,
)

__all__ = [
    "MAX_ACTIONS",
    "MAX_DEPTH",
    "MAX_REPEAT",
    "CalledService",
    "Walk",
    "services_called",
    "walk",
]

MAX_ACTIONS: Final = 200
MAX_REPEAT: Final = 10

_SERVICE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# Device actions name what they do in their own words; these are the services the
# words stand for, so that opening a cover with a device action is found as the
# `cover.open_cover` it is. Other types are judged as `domain.type`.
DEVICE_ACTION_SERVICES: Final[Mapping[str, Mapping[str, str]]] = {
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
    "valve": {
        "open": "open_valve",
        "close": "close_valve",
        "stop": "stop_valve",
        "set_position": "set_valve_position",
    },
    "light": {
        "brightness_increase": "turn_on",
        "brightness_decrease": "turn_on",
        "flash": "turn_on",
    },
}
_BASE_STEP_KEYS: Final = frozenset({"alias", "continue_on_error", "enabled"})
# The key that makes a step of each kind, in Home Assistant's order: a step with
# several is of the first kind (helpers.config_validation.ACTIONS_MAP).
_STEP_KINDS: Final[Mapping[str, str]] = {
    "delay": "delay",
    "wait_template": "wait_template",
    "condition": "condition",
    "and": "condition",
    "or": "condition",
    "not": "condition",
    "event": "event",
    "device_id": "device",
    "scene": "scene",
    "repeat": "repeat",
    "choose": "choose",
    "wait_for_trigger": "wait_for_trigger",
    "variables": "variables",
    "if": "if",
    "action": "call_service",
    "service": "call_service",
    "service_template": "call_service",
    "stop": "stop",
    "parallel": "parallel",
    "sequence": "sequence",
    "set_conversation_response": "set_conversation_response",
}
# Device actions' extra fields of the common integrations.
_DEVICE_ACTION_KEYS: Final = DEVICE_KEYS | frozenset(
    {
        "position",
        "tilt_position",
        "brightness_pct",
        "flash",
        "hvac_mode",
        "preset_mode",
        "mode",
        "humidity",
        "code",
        "option",
        "value",
    }
)
_STEP_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "delay": frozenset({"delay"}),
    "wait_template": frozenset({"wait_template", "timeout", "continue_on_timeout"}),
    "device": _DEVICE_ACTION_KEYS,
    "scene": frozenset({"scene"}),
    "repeat": frozenset({"repeat"}),
    "choose": frozenset({"choose", "default"}),
    "wait_for_trigger": frozenset(
        {"wait_for_trigger", "timeout", "continue_on_timeout"}
    ),
    "variables": frozenset({"variables"}),
    "if": frozenset({"if", "then", "else"}),
    "call_service": frozenset(
        {
            "action",
            "service",
            "service_template",
            "data",
            "data_template",
            "target",
            "entity_id",
            "response_variable",
            "metadata",
        }
    ),
    "stop": frozenset({"stop", "error", "response_variable"}),
    "parallel": frozenset({"parallel"}),
    "sequence": frozenset({"sequence", "metadata"}),
}
_FORBIDDEN_STEPS: Final[Mapping[str, str]] = {
    "event": "firing events is never allowed: an event can stop Home Assistant "
    "(homeassistant_stop), fake a service call (call_service) or a device's "
    "button press, and so run any automation that listens for it",
    "set_conversation_response": "set_conversation_response is not allowed: an "
    "automation from HA AI has no conversation to answer",
}
# Keys holding steps, triggers, conditions, variables or the service: each is
# judged by its own walk, not as a free-form value.
_STRUCTURE_KEYS: Final = frozenset(
    {
        "action",
        "service",
        "service_template",
        "target",
        "scene",
        "choose",
        "default",
        "if",
        "then",
        "else",
        "parallel",
        "sequence",
        "repeat",
        "wait_for_trigger",
        "variables",
    }
)
_TOP_KEYS: Final = frozenset(
    {
        "id",
        "alias",
        "description",
        "triggers",
        "trigger",
        "conditions",
        "condition",
        "actions",
        "action",
        "sequence",
        "mode",
        "max",
        "max_exceeded",
        "variables",
        "trigger_variables",
        "initial_state",
        "trace",
    }
)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _called(text: str, path: str) -> CalledService:
    if is_template(text):
        return CalledService(shorten(text), path, templated=True, valid=False)
    service = text.lower()  # Home Assistant lower-cases service names too
    if _SERVICE.fullmatch(service):
        return CalledService(service, path)
    return CalledService(shorten(text), path, valid=False)


def _device_call(step: Mapping[object, object], path: str) -> CalledService:
    domain, kind = step.get("domain"), step.get("type")
    if not isinstance(domain, str) or not isinstance(kind, str):
        return CalledService(shorten(f"{domain!s}.{kind!s}"), path, valid=False)
    service = DEVICE_ACTION_SERVICES.get(domain.lower(), {}).get(kind.lower(), kind)
    return _called(f"{domain}.{service}", path)


def _service_calls(step: Mapping[object, object], path: str) -> Iterator[CalledService]:
    for key in ("action", "service", "service_template"):
        if key not in step:
            continue
        value = step[key]
        where = join(path, key)
        if key == "service_template":
            yield CalledService(shorten(str(value)), where, templated=True, valid=False)
        elif isinstance(value, str):
            yield _called(value, where)
        else:  # None, a list, a number: no service name at all
            yield CalledService(shorten(repr(value)), where, valid=False)


def _count(found: Walk, path: str) -> bool:
    """Count one more step; return False once there are too many to follow."""
    found.steps += 1
    if found.steps == MAX_ACTIONS + 1:
        found.refuse(path, f"the automation has more than {MAX_ACTIONS} actions")
    return found.steps <= MAX_ACTIONS


def _walk_actions(found: Walk, actions: object, path: str, depth: int) -> None:
    """Walk a list of action steps (or a single step, which HA also accepts)."""
    if depth > MAX_DEPTH:
        found.refuse(path, f"actions are nested more than {MAX_DEPTH} levels deep")
    elif isinstance(actions, Mapping):
        _walk_step(found, actions, path, depth)
    elif isinstance(actions, list):
        for index, step in enumerate(actions):
            if found.steps > MAX_ACTIONS:
                break
            _walk_step(found, step, f"{path}[{index}]", depth)
    else:
        found.refuse(path, f"actions must be a list, not {type(actions).__name__}")


def _step_kind(step: Mapping[object, object]) -> str | None:
    return next((kind for key, kind in _STEP_KINDS.items() if key in step), None)


def _walk_step(found: Walk, step: object, path: str, depth: int) -> None:
    if not _count(found, path):
        return
    if not isinstance(step, Mapping):
        found.refuse(path, f"an action must be a mapping, not {type(step).__name__}")
        return
    kind = _step_kind(step)
    if kind is None:
        found.refuse(
            path,
            "the action is of no kind HA AI allows (a service call, scene, "
            "device action, delay, wait, condition, variables, stop, choose, if, "
            "parallel, repeat or sequence)",
            ProblemKind.UNKNOWN,
        )
        return
    if kind == "condition":
        walk_condition(found, step, path, depth, step=True)
        return
    if kind in _FORBIDDEN_STEPS:
        event = step.get("event")
        name = f" ({shorten(event)!r})" if kind == "event" else ""
        found.refuse(path, _FORBIDDEN_STEPS[kind] + name, ProblemKind.FORBIDDEN)
        return
    found.unknown_keys(step, _BASE_STEP_KEYS | _STEP_KEYS[kind], path)
    _walk_kind(found, kind, step, path, depth)
    found.targets(step, path)
    found.values({k: v for k, v in step.items() if k not in _STRUCTURE_KEYS}, path)


def _walk_kind(
    found: Walk, kind: str, step: Mapping[object, object], path: str, depth: int
) -> None:
    """Walk what a step of `kind` holds besides free-form values."""
    walker = _KIND_WALKS.get(kind)
    if walker is not None:
        walker(found, step, path, depth + 1)


def _walk_if(found: Walk, step: Mapping[object, object], path: str, depth: int) -> None:
    walk_conditions(found, step.get("if"), join(path, "if"), depth)
    for key in ("then", "else"):
        if key in step:
            _walk_actions(found, step[key], join(path, key), depth)


def _walk_choose_step(
    found: Walk, step: Mapping[object, object], path: str, depth: int
) -> None:
    _walk_choose(found, step.get("choose"), join(path, "choose"), depth)
    if "default" in step:
        _walk_actions(found, step["default"], join(path, "default"), depth)


def _response_variable(found: Walk, step: Mapping[object, object], path: str) -> None:
    name = step.get("response_variable")
    if name is None:
        return
    if isinstance(name, str) and _VARIABLE_NAME.fullmatch(name):
        found.variables.add(name)
    else:
        found.refuse(join(path, "response_variable"), "not a name a variable may have")


def _walk_service_call(found: Walk, step: Mapping[object, object], path: str) -> None:
    calls = list(_service_calls(step, path))
    found.calls.extend(calls)
    if (sent := _written_out_data(step, calls)) is not None:
        found.service_data.append(ServiceData(calls[0].service, calls[0].path, sent))
    _response_variable(found, step, path)
    target = step.get("target")
    if isinstance(target, Mapping):
        found.unknown_keys(target, frozenset(TARGET_KEYS), join(path, "target"))
        found.targets(target, join(path, "target"))
    elif target is not None:
        found.refuse(
            join(path, "target"),
            "the target must be a mapping of entity_id, device_id, area_id, "
            "floor_id or label_id written out",
            ProblemKind.TEMPLATED if isinstance(target, str) else ProblemKind.MALFORMED,
        )
    for key in ("data", "data_template"):
        data = step.get(key)
        if isinstance(data, Mapping):
            found.targets(data, join(path, key))
        elif data is not None:
            found.refuse(
                join(path, key),
                f"{key} must be a mapping; a templated {key} cannot be checked",
                ProblemKind.TEMPLATED
                if isinstance(data, str)
                else ProblemKind.MALFORMED,
            )


def _written_out_data(
    step: Mapping[object, object], calls: list[CalledService]
) -> dict[object, object] | None:
    """Return the data and target one call sends, when nothing in them is a template.

    None for a call whose name is not one written-out service, or whose data or
    target is not a mapping or holds a template: what it sends is only known
    when it runs.
    """
    if len(calls) != 1 or not calls[0].valid:
        return None
    sent: dict[object, object] = {}
    for key in ("data", "data_template", "target"):
        part = step.get(key)
        if part is None:
            continue
        if not isinstance(part, Mapping):
            return None
        sent.update(part)
    if any(is_template(text) for text, _ in strings(sent, "")):
        return None
    return sent


def _walk_device(found: Walk, step: Mapping[object, object], path: str) -> None:
    """Judge a device action as the service it stands for."""
    device_names(found, step, path, keys=("device_id",))
    templated = [key for key in ("domain", "type") if _is_templated(step.get(key))]
    if templated:
        device_names(found, step, path, keys=tuple(templated))
    else:
        found.calls.append(_device_call(step, path))


def _is_templated(value: object) -> bool:
    return isinstance(value, str) and is_template(value)


def _walk_scene(found: Walk, scene: object, path: str) -> None:
    if isinstance(scene, str) and is_template(scene):
        found.refuse(
            path,
            "the scene is a template, so which one it activates cannot be checked",
            ProblemKind.TEMPLATED,
        )
    elif isinstance(scene, str):
        found.calls.append(CalledService("scene.turn_on", path))
    else:
        found.refuse(path, "a scene must be named by its entity id")


def _walk_choose(found: Walk, options: object, path: str, depth: int) -> None:
    if isinstance(options, Mapping):
        options = [options]
    if not isinstance(options, list):
        found.refuse(path, "choose must be a list of options")
        return
    for index, option in enumerate(options):
        option_path = f"{path}[{index}]"
        if not _count(found, option_path):
            break
        if not isinstance(option, Mapping):
            found.refuse(option_path, "a choose option must be a mapping")
            continue
        found.unknown_keys(
            option, frozenset({"alias", "conditions", "sequence"}), option_path
        )
        if "conditions" in option:
            walk_conditions(
                found, option["conditions"], join(option_path, "conditions"), depth
            )
        sequence = option.get("sequence", [])
        _walk_actions(found, sequence, join(option_path, "sequence"), depth + 1)


def _walk_repeat(found: Walk, repeat: object, path: str, depth: int) -> None:
    if not isinstance(repeat, Mapping):
        found.refuse(path, "repeat must be a mapping")
        return
    found.unknown_keys(
        repeat, frozenset({"count", "for_each", "while", "until", "sequence"}), path
    )
    for key in ("while", "until"):
        if key in repeat:
            found.refuse(
                join(path, key),
                f"a repeat with {key} can run without end; use a count of at most "
                f"{MAX_REPEAT}",
                ProblemKind.FORBIDDEN,
            )
    count, items = repeat.get("count"), repeat.get("for_each")
    if "count" in repeat and not (
        isinstance(count, int)
        and not isinstance(count, bool)
        and 1 <= count <= MAX_REPEAT
    ):
        found.refuse(
            join(path, "count"),
            f"a repeat count must be a whole number from 1 to {MAX_REPEAT}, "
            "written out",
            ProblemKind.FORBIDDEN,
        )
    if "for_each" in repeat:
        if isinstance(items, list) and len(items) <= MAX_REPEAT:
            found.values(items, join(path, "for_each"))
        else:
            found.refuse(
                join(path, "for_each"),
                f"for_each must be a list of at most {MAX_REPEAT} items, written out",
                ProblemKind.FORBIDDEN,
            )
    _walk_actions(found, repeat.get("sequence", []), join(path, "sequence"), depth)


def _walk_parallel(found: Walk, branches: object, path: str, depth: int) -> None:
    if isinstance(branches, Mapping):
        branches = [branches]
    if not isinstance(branches, list):
        found.refuse(path, "parallel must be a list of actions")
        return
    for index, branch in enumerate(branches):
        # A list in a parallel block is a sequence of its own.
        _walk_actions(found, branch, f"{path}[{index}]", depth)


_StepWalk = Callable[[Walk, Mapping[object, object], str, int], None]
_KIND_WALKS: Final[Mapping[str, _StepWalk]] = {
    "call_service": lambda found, step, path, _: _walk_service_call(found, step, path),
    "device": lambda found, step, path, _: _walk_device(found, step, path),
    "scene": lambda found, step, path, _: _walk_scene(
        found, step.get("scene"), join(path, "scene")
    ),
    "variables": lambda found, step, path, _: found.define(
        step.get("variables"), join(path, "variables")
    ),
    "wait_for_trigger": lambda found, step, path, _: walk_triggers(
        found, step.get("wait_for_trigger"), join(path, "wait_for_trigger")
    ),
    "if": _walk_if,
    "choose": _walk_choose_step,
    "repeat": lambda found, step, path, depth: _walk_repeat(
        found, step.get("repeat"), join(path, "repeat"), depth
    ),
    "parallel": lambda found, step, path, depth: _walk_parallel(
        found, step.get("parallel"), join(path, "parallel"), depth
    ),
    "sequence": lambda found, step, path, depth: _walk_actions(
        found, step.get("sequence"), join(path, "sequence"), depth
    ),
    "stop": lambda found, step, path, _: _response_variable(found, step, path),
}


def _walk_top(found: Walk, config: Mapping[object, object]) -> None:
    found.unknown_keys(config, _TOP_KEYS, "")
    for key in ("variables", "trigger_variables"):
        if key in config:
            found.define(config[key], key)
    for key in ("triggers", "trigger"):
        if key in config:
            walk_triggers(found, config[key], key)
    for key in ("conditions", "condition"):
        if key in config:
            walk_conditions(found, config[key], key, 1)
    # `action` at the top of an automation is the old name of `actions`, and a
    # script keeps its actions in `sequence`.
    for key in ("actions", "action", "sequence"):
        if key in config:
            _walk_actions(found, config[key], key, 1)
    found.values(
        {
            key: config[key]
            for key in ("mode", "max", "max_exceeded", "trace")
            if key in config
        },
        "",
    )


def walk(config: object) -> Walk:
    """Walk every part of an automation (or a script, or a list of actions)."""
    found = Walk()
    if (problem := size_problem(config)) is not None:
        found.refuse("", problem)
    elif isinstance(config, list):
        _walk_actions(found, config, "actions", 1)
    elif not isinstance(config, Mapping):
        found.refuse(
            "", f"an automation must be a mapping, not {type(config).__name__}"
        )
    elif "use_blueprint" in config:
        # The actions live in the blueprint's file, out of sight of this walk.
        found.refuse(
            "use_blueprint", "an automation from a blueprint cannot be checked"
        )
    else:
        _walk_top(found, config)
    return found


def service_data(config: object) -> list[ServiceData]:
    """Return what each written-out service call sends (see `ServiceData`)."""
    return walk(config).service_data


def services_called(config: object) -> list[CalledService]:
    """Return every service the automation's actions call, nested ones included.

    Calls whose name is a template, or no service name at all, are returned too
    (not `valid`), so that nothing the automation calls goes unseen. Never raises.
    """
    return walk(config).calls
