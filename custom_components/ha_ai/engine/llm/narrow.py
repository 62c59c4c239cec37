"""An LLM's automation may only narrow the one HA AI rendered, never widen it.

The model's answer is untrusted input, like a message from the network: a name in
the house may have told it what to write. So its automation is not taken as it
is but rebuilt from a small, known language, against the automation HA AI
rendered for the same suggestion:

- Only a suggestion that carries a rendered automation takes one: a kind that
  deploys none (an unused capability) never gets one from the model.
- Triggers: `state`, `numeric_state`, `time` and `sun` only, on the suggestion's
  own entities. Conditions: the same kinds plus `and`, `or`, `not`.
- Actions: calls of the services the rendered automation calls, targeting only
  the suggestion's entities of the service's own domain (never another device,
  area, label or `all`), with plain data; delays and conditions between them.
- No template anywhere (`{{`, `{%`, `{#`), in any string, key or value.
- Bounded size and depth, checked before anything else is read.

Whatever is not known is refused with a reason; the caller keeps the rendered
automation. The result holds only what was checked: keys the model added and
this module does not know never reach Home Assistant. Alias and description are
HA AI's own (the rendered ones), not the model's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from typing import Any, Final, TypeIs

from .parse import LlmSuggestionText

MAX_DEPTH: Final = 8
MAX_NODES: Final = 400
MAX_STRING: Final = 255
MAX_TRIGGERS: Final = 5
MAX_CONDITIONS: Final = 10
MAX_ACTIONS: Final = 10
MAX_LIST: Final = 10
_MAX_SHOWN: Final = 60  # characters of a refused value quoted in a reason

TRIGGER_KINDS: Final = frozenset({"state", "numeric_state", "time", "sun"})
CONDITION_KINDS: Final = frozenset(
    {"state", "numeric_state", "time", "sun", "and", "or", "not"}
)
MODES: Final = frozenset({"single", "restart", "queued", "parallel"})
WEEKDAYS: Final = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
SUN_EVENTS: Final = frozenset({"sunrise", "sunset"})
# Keys that name what a step acts on, beside `entity_id`: never taken from a model.
_OTHER_TARGETS: Final = frozenset(
    {"device_id", "area_id", "floor_id", "label_id", "entity_id"}
)
_TEMPLATE = re.compile(r"\{\{|\{%|\{#")
_TIME = re.compile(r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?")
_OFFSET = re.compile(r"-?\d{1,2}:[0-5]\d(?::[0-5]\d)?")
_DURATION = re.compile(r"\d{1,2}:[0-5]\d(?::[0-5]\d)?")
_SERVICE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_NAME = re.compile(r"[a-z0-9_]{1,64}")
_DURATION_KEYS: Final = frozenset(
    {"days", "hours", "minutes", "seconds", "milliseconds"}
)
_COMMON_TRIGGER_KEYS: Final = frozenset({"trigger", "platform", "id"})
_TRIGGER_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "state": frozenset(
        {"entity_id", "from", "to", "not_from", "not_to", "for", "attribute"}
    ),
    "numeric_state": frozenset({"entity_id", "above", "below", "for", "attribute"}),
    "time": frozenset({"at"}),
    "sun": frozenset({"event", "offset"}),
}
_CONDITION_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "state": frozenset({"entity_id", "state", "for", "attribute"}),
    "numeric_state": frozenset({"entity_id", "above", "below", "attribute"}),
    "time": frozenset({"after", "before", "weekday"}),
    "sun": frozenset({"after", "before", "after_offset", "before_offset"}),
    "and": frozenset({"conditions"}),
    "or": frozenset({"conditions"}),
    "not": frozenset({"conditions"}),
}
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
        "mode",
    }
)
_CALL_KEYS: Final = frozenset(
    {"action", "service", "target", "data", "entity_id", "metadata"}
)


# Domains of the entities a text may name; "lock.front_door" in an explanation of a
# suggestion about a plug is a text about something else.
_ENTITY_DOMAINS: Final = (
    "alarm_control_panel|automation|binary_sensor|button|camera|climate|cover|"
    "device_tracker|fan|humidifier|input_boolean|input_button|input_number|"
    "input_select|light|lock|media_player|number|person|remote|scene|script|"
    "select|sensor|siren|switch|vacuum|valve|water_heater"
)
_NAMED_ENTITY = re.compile(rf"\b(?:{_ENTITY_DOMAINS})\.[a-z0-9_]+", re.IGNORECASE)


def foreign_entities(text: str, entities: Collection[str]) -> list[str]:
    """Return the entity ids `text` names that are not the suggestion's."""
    own = {entity.casefold() for entity in entities}
    return [
        match.group()
        for match in _NAMED_ENTITY.finditer(text)
        if match.group().casefold() not in own
    ]


def narrow_answer(
    answer: LlmSuggestionText,
    rendered: Mapping[str, Any] | None,
    entities: Collection[str],
) -> LlmSuggestionText:
    """Return the answer with its automation narrowed, or raise.

    Its text may name no entity id but the suggestion's; its automation, if it
    has one, must narrow `rendered` (see `narrow_automation`).
    """
    if foreign := foreign_entities(f"{answer.title} {answer.description}", entities):
        raise NarrowingRefusedError(
            f"its text names {_shown(foreign[0])}, not an entity of the suggestion"
        )
    if answer.automation is None:
        return answer
    narrowed = narrow_automation(answer.automation, rendered, entities)
    return replace(answer, automation=narrowed)


class NarrowingRefusedError(ValueError):
    """The model's automation is not a narrowing of the rendered one."""

    def __init__(self, reason: str, path: str = "") -> None:
        """Keep the reason with the place in the automation it applies to."""
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path


def narrow_automation(
    proposed: object,
    rendered: Mapping[str, Any] | None,
    entities: Collection[str],
) -> dict[str, Any]:
    """Return the model's automation rebuilt from what passed, or raise.

    `rendered` is the automation HA AI rendered for the suggestion (None for a
    kind that deploys none), `entities` the suggestion's own entity ids. Raises
    NarrowingRefusedError with the reason and where.
    """
    if rendered is None:
        raise NarrowingRefusedError("this kind of suggestion deploys no automation")
    if not isinstance(proposed, Mapping):
        raise NarrowingRefusedError("the automation is not a mapping")
    check_bounds(proposed)
    narrowing = _Narrowing(frozenset(entities), frozenset(_rendered_services(rendered)))
    triggers = _items(proposed, ("triggers", "trigger"), MAX_TRIGGERS, required=True)
    conditions = _items(proposed, ("conditions", "condition"), MAX_CONDITIONS)
    actions = _items(proposed, ("actions", "action"), MAX_ACTIONS, required=True)
    _only_keys(proposed, _TOP_KEYS, "")
    mode = proposed.get("mode", rendered.get("mode", "single"))
    if not _one_of(mode, MODES):
        raise NarrowingRefusedError(f"mode {_shown(mode)} is not known", "mode")
    return {
        "alias": rendered.get("alias", ""),
        "description": rendered.get("description", ""),
        "triggers": [
            narrowing.trigger(item, f"triggers[{index}]")
            for index, item in enumerate(triggers)
        ],
        "conditions": [
            narrowing.condition(item, f"conditions[{index}]")
            for index, item in enumerate(conditions)
        ],
        "actions": [
            narrowing.action(item, f"actions[{index}]")
            for index, item in enumerate(actions)
        ],
        "mode": mode,
    }


def check_bounds(document: object) -> None:
    """Refuse a document too deep, too large, with a template or a strange value.

    Walks without recursion, so no nesting can exhaust the stack, and stops at
    the first node beyond a bound.
    """
    stack: list[tuple[object, int, str]] = [(document, 0, "")]
    nodes = 0
    while stack:
        node, depth, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise NarrowingRefusedError(f"more than {MAX_NODES} values", path)
        if depth > MAX_DEPTH:
            raise NarrowingRefusedError(f"nested deeper than {MAX_DEPTH}", path)
        if isinstance(node, Mapping):
            for key, value in node.items():
                _check_text(key, path)
                stack.append((value, depth + 1, f"{path}.{key}".lstrip(".")))
        elif isinstance(node, list | tuple):
            stack.extend(
                (value, depth + 1, f"{path}[{index}]")
                for index, value in enumerate(node)
            )
        elif isinstance(node, float) and not math.isfinite(node):
            raise NarrowingRefusedError("a number that is not finite", path)
        elif not (node is None or isinstance(node, str | bool | int | float)):
            raise NarrowingRefusedError("a value that is not JSON", path)
        elif isinstance(node, str):
            _check_text(node, path)


def _check_text(text: object, path: str) -> None:
    if not isinstance(text, str):
        raise NarrowingRefusedError("a key that is not text", path)
    if len(text) > MAX_STRING:
        raise NarrowingRefusedError(f"a text longer than {MAX_STRING}", path)
    if _TEMPLATE.search(text):
        raise NarrowingRefusedError("a template", path)


def _rendered_services(rendered: Mapping[str, Any]) -> Iterator[str]:
    """Return the services the rendered automation calls, at its top level."""
    actions = rendered.get("actions", rendered.get("action", []))
    for action in actions if isinstance(actions, list) else [actions]:
        if isinstance(action, Mapping):
            service = action.get("action", action.get("service"))
            if isinstance(service, str):
                yield service


def _items(
    document: Mapping[str, Any],
    keys: tuple[str, ...],
    limit: int,
    *,
    required: bool = False,
) -> list[Any]:
    """Return the list under the plural or singular key; one item makes a list."""
    present = [key for key in keys if key in document]
    if len(present) > 1:
        raise NarrowingRefusedError(f"both {' and '.join(present)}", keys[0])
    value = document[present[0]] if present else []
    items = value if isinstance(value, list) else [value]
    if required and not items:
        raise NarrowingRefusedError("none given", keys[0])
    if len(items) > limit:
        raise NarrowingRefusedError(f"more than {limit}", keys[0])
    return items


def _one_of(value: object, allowed: frozenset[str]) -> TypeIs[str]:
    """Return whether `value` is one of the allowed texts (any other type: no)."""
    return isinstance(value, str) and value in allowed


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NarrowingRefusedError("not a mapping", path)
    return value


def _only_keys(item: Mapping[str, Any], allowed: Collection[str], path: str) -> None:
    if unknown := sorted(set(item) - set(allowed)):
        raise NarrowingRefusedError(f"{_shown(unknown[0])} is not allowed here", path)


def _scalars(value: object, path: str, *, optional: bool = True) -> object:
    """Return a state value: text, a number, a bool, None or a short list of them."""
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_LIST:
        raise NarrowingRefusedError(f"more than {MAX_LIST} values", path)
    for item in values:
        if item is None and optional:
            continue
        if not isinstance(item, str | int | float | bool):
            raise NarrowingRefusedError("not a plain value", path)
    return list(values) if isinstance(value, list) else value


def _number(value: object, path: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NarrowingRefusedError(f"{_shown(value)} is not a number", path)
    return value


def _pattern(value: object, pattern: re.Pattern[str], what: str, path: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise NarrowingRefusedError(f"{_shown(value)} is not {what}", path)
    return value


def _duration(value: object, path: str) -> object:
    """Return a duration: "HH:MM[:SS]", seconds, or a mapping of whole units."""
    if isinstance(value, str):
        return _pattern(value, _DURATION, "a duration", path)
    if isinstance(value, Mapping):
        _only_keys(value, _DURATION_KEYS, path)
        return {key: _seconds(item, path) for key, item in value.items()}
    return _seconds(value, path)


def _seconds(value: object, path: str) -> float | int:
    number = _number(value, path)
    if number < 0:
        raise NarrowingRefusedError("a negative duration", path)
    return number


class _Narrowing:
    """The checks of one suggestion: its entities and the services it may call."""

    def __init__(self, entities: frozenset[str], services: frozenset[str]) -> None:
        self.entities = entities
        self.services = services

    def entity_ids(self, value: object, path: str, domain: str = "") -> str | list[str]:
        """Return the entity id or ids, each one of the suggestion's (of `domain`)."""
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_LIST:
            raise NarrowingRefusedError("no entity, or too many", path)
        for entity_id in values:
            if not isinstance(entity_id, str):
                raise NarrowingRefusedError("an entity id that is not text", path)
            if entity_id in {"all", "none"}:
                raise NarrowingRefusedError(f"{entity_id!r} is not an entity", path)
            if entity_id not in self.entities:
                raise NarrowingRefusedError(
                    f"{_shown(entity_id)} is not an entity of this suggestion", path
                )
            if domain and not str(entity_id).startswith(f"{domain}."):
                raise NarrowingRefusedError(
                    f"{_shown(entity_id)} is not a {domain} entity", path
                )
        if isinstance(value, list):
            return [str(entity_id) for entity_id in values]
        return str(value)

    def trigger(self, value: object, path: str) -> dict[str, Any]:
        item = _mapping(value, path)
        kind = item.get("trigger", item.get("platform"))
        if not _one_of(kind, TRIGGER_KINDS):
            raise NarrowingRefusedError(
                f"trigger {_shown(kind)} is not one HA AI accepts", path
            )
        _only_keys(item, _COMMON_TRIGGER_KEYS | _TRIGGER_KEYS[kind], path)
        result: dict[str, Any] = {"trigger": kind}
        if "id" in item:
            result["id"] = _pattern(item["id"], _NAME, "a trigger id", path)
        result |= self._fields(item, kind, path)
        return result

    def condition(self, value: object, path: str) -> dict[str, Any]:
        item = _mapping(value, path)
        kind = item.get("condition")
        if not _one_of(kind, CONDITION_KINDS):
            raise NarrowingRefusedError(
                f"condition {_shown(kind)} is not one HA AI accepts", path
            )
        _only_keys(item, {"condition"} | _CONDITION_KEYS[kind], path)
        result: dict[str, Any] = {"condition": kind}
        if kind in {"and", "or", "not"}:
            inner = _items(item, ("conditions",), MAX_CONDITIONS, required=True)
            result["conditions"] = [
                self.condition(sub, f"{path}.conditions[{index}]")
                for index, sub in enumerate(inner)
            ]
            return result
        return result | self._fields(item, kind, path)

    def _fields(  # noqa: C901, PLR0912 - one branch per known field
        self, item: Mapping[str, Any], kind: str, path: str
    ) -> dict[str, Any]:
        """Return the checked fields of a trigger or condition of `kind`."""
        result: dict[str, Any] = {}
        if kind in {"state", "numeric_state"}:
            if "entity_id" not in item:
                raise NarrowingRefusedError("no entity_id", path)
            result["entity_id"] = self.entity_ids(item["entity_id"], path)
        for key in ("from", "to", "not_from", "not_to", "state"):
            if key in item:
                result[key] = _scalars(item[key], f"{path}.{key}")
        for key in ("above", "below"):
            if key in item:
                result[key] = _number(item[key], f"{path}.{key}")
        if "attribute" in item:
            result["attribute"] = _pattern(
                item["attribute"], _NAME, "an attribute", path
            )
        if "for" in item:
            result["for"] = _duration(item["for"], f"{path}.for")
        if "at" in item:
            times = item["at"] if isinstance(item["at"], list) else [item["at"]]
            if not times or len(times) > MAX_LIST:
                raise NarrowingRefusedError("no time, or too many", path)
            result["at"] = [_pattern(at, _TIME, "a time", path) for at in times]
            if not isinstance(item["at"], list):
                result["at"] = result["at"][0]
        if "event" in item:
            if not _one_of(item["event"], SUN_EVENTS):
                raise NarrowingRefusedError("not sunrise or sunset", path)
            result["event"] = item["event"]
        for key in ("offset", "after_offset", "before_offset"):
            if key in item:
                result[key] = _pattern(item[key], _OFFSET, "an offset", path)
        for key in ("after", "before"):
            if key in item:
                result[key] = (
                    _pattern(item[key], _TIME, "a time", path)
                    if kind == "time"
                    else _sun_event(item[key], path)
                )
        if "weekday" in item:
            days = item["weekday"]
            days = days if isinstance(days, list) else [days]
            if not days or not all(_one_of(day, WEEKDAYS) for day in days):
                raise NarrowingRefusedError("not weekdays", path)
            result["weekday"] = list(days)
        return result

    def action(self, value: object, path: str) -> dict[str, Any]:
        item = _mapping(value, path)
        if "condition" in item:
            return self.condition(item, path)
        if "delay" in item:
            _only_keys(item, {"delay"}, path)
            return {"delay": _duration(item["delay"], f"{path}.delay")}
        return self._call(item, path)

    def _call(self, item: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Return a checked service call: a rendered service on the own entities."""
        _only_keys(item, _CALL_KEYS, path)
        service = item.get("action", item.get("service"))
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            raise NarrowingRefusedError(
                f"{_shown(service)} is not an action HA AI accepts", path
            )
        if service not in self.services:
            raise NarrowingRefusedError(
                f"{service} is not an action of the suggestion", path
            )
        if item.get("metadata") not in (None, {}):
            raise NarrowingRefusedError("metadata is not allowed", path)
        target = _mapping(item.get("target", {}), f"{path}.target")
        _only_keys(target, {"entity_id"}, f"{path}.target")
        if "entity_id" in target and "entity_id" in item:
            raise NarrowingRefusedError("two targets", path)
        named = target.get("entity_id", item.get("entity_id"))
        if named is None:
            raise NarrowingRefusedError("no target entity", path)
        domain = service.partition(".")[0]
        result: dict[str, Any] = {
            "action": service,
            "target": {"entity_id": self.entity_ids(named, path, domain)},
        }
        data = _mapping(item.get("data", {}), f"{path}.data")
        if data:
            result["data"] = _data(data, f"{path}.data")
        return result


def _sun_event(value: object, path: str) -> str:
    if not _one_of(value, SUN_EVENTS):
        raise NarrowingRefusedError(f"{_shown(value)} is not sunrise or sunset", path)
    return str(value)


def _data(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Return service data of plain values; nothing in it may name a target."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key in _OTHER_TARGETS or not _NAME.fullmatch(key):
            raise NarrowingRefusedError(f"{_shown(key)} is not allowed in data", path)
        if isinstance(value, list):
            if len(value) > MAX_LIST or not all(
                isinstance(item, int | float) and not isinstance(item, bool)
                for item in value
            ):
                raise NarrowingRefusedError("a list that is not of numbers", path)
            result[key] = list(value)
        elif value is None or isinstance(value, str | int | float | bool):
            result[key] = value
        else:
            raise NarrowingRefusedError("not a plain value", f"{path}.{key}")
    return result
