"""Parse a device's `definition.exposes` into capabilities.

Zigbee2MQTT describes what a device can do as a tree: generic leaves (`binary`,
`numeric`, `enum`, `text`, `list`), `composite` groups whose values nest under the
composite's property, and specific types (`light`, `switch`, `fan`, `cover`, `lock`,
`climate`) that group the features of one Home Assistant entity. Every leaf becomes
a capability; nothing the bridge sends is dropped without a problem line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

from .model import Capability

SPECIFIC_TYPES = frozenset({"light", "switch", "fan", "cover", "lock", "climate"})
GROUP_TYPES = SPECIFIC_TYPES | {"composite"}
KNOWN_FIELDS = frozenset(
    {
        "type",
        "name",
        "property",
        "access",
        "category",
        "endpoint",
        "label",
        "description",
        "unit",
        "value_min",
        "value_max",
        "value_step",
        "values",
        "presets",
        "value_on",
        "value_off",
        "features",
    }
)
MAX_TEXT = 1000
MAX_DEPTH = 8
MAX_CAPABILITIES_PER_DEVICE = 2000


def _text(value: object) -> str | None:
    """Return a bounded string, or None when the value is not a string."""
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return None


def _number(value: object) -> float | None:
    """Return a finite number as a float, else None (NaN and infinity included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _as_text(value: object) -> str:
    """Return any decoded JSON value as bounded text, without recursing in Python.

    A list or object becomes compact JSON (the encoder stops at its own depth
    limit), so a deeply nested value costs no recursion here.
    """
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if value is None or isinstance(value, bool | int | float):
        return str(value)[:MAX_TEXT]
    try:
        return orjson.dumps(value).decode()[:MAX_TEXT]
    except TypeError:  # too deep, integers beyond 64 bits, keys that are not text
        return f"a {type(value).__name__}"


def _simple(value: object) -> str | int | float | bool | None:
    """Return `value` if it is JSON-simple (kept verbatim), else its bounded text."""
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return _as_text(value)


def _extra(expose: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the fields this parser does not know, so later code can still see them."""
    extra: dict[str, Any] = {}
    for name, value in expose.items():
        if name in KNOWN_FIELDS or not isinstance(name, str):
            continue
        if isinstance(value, Mapping):
            # item_type of a list, and other nested descriptions: keep their type.
            extra[name[:100]] = {"type": _text(value.get("type")) or "unknown"}
        elif isinstance(value, list):
            extra[name[:100]] = [_simple(item) for item in value[:50]]
        else:
            extra[name[:100]] = _simple(value)
    return extra


class ExposesParser:
    """Walks one device's exposes; collects capabilities and problem lines."""

    def __init__(self, device_name: str | None, problems: list[str]) -> None:
        """Parse for the device called `device_name`, reporting into `problems`.

        Without a device name the problem lines are bare, for a caller that parses
        one definition once and reports it for every device that shares it.
        """
        self._device = device_name
        self._problems = problems
        self._capabilities: dict[str, Capability] = {}
        self._reported: set[str] = set()

    def parse(self, exposes: object) -> tuple[Capability, ...]:
        """Return the capabilities of the exposes list."""
        if exposes is None:
            return ()
        if not isinstance(exposes, list):
            self._problem(f"exposes is a {type(exposes).__name__}, not a list")
            return ()
        for expose in exposes:
            self._walk(expose, path=(), parent_type=None, endpoint=None, depth=0)
        return tuple(self._capabilities.values())

    def _problem(self, text: str) -> None:
        self._problems.append(f"{self._device}: {text}" if self._device else text)

    def _problem_once(self, text: str) -> None:
        """Report a problem that stands for all the exposes it makes skip."""
        if text not in self._reported:
            self._reported.add(text)
            self._problem(text)

    def _walk(
        self,
        expose: object,
        *,
        path: tuple[str, ...],
        parent_type: str | None,
        endpoint: str | None,
        depth: int,
    ) -> None:
        if not isinstance(expose, Mapping):
            self._problem(f"an expose is a {type(expose).__name__}, not an object")
            return
        if depth > MAX_DEPTH:
            self._problem_once("exposes nest deeper than 8 levels; the rest is ignored")
            return
        expose_type = _text(expose.get("type")) or "unknown"
        endpoint = _text(expose.get("endpoint")) or endpoint
        features = expose.get("features")
        if expose_type in GROUP_TYPES or isinstance(features, list):
            self._walk_group(expose, expose_type, path, parent_type, endpoint, depth)
            return
        self._add_leaf(expose, expose_type, path, parent_type, endpoint)

    def _walk_group(  # noqa: PLR0913
        self,
        expose: Mapping[str, Any],
        expose_type: str,
        path: tuple[str, ...],
        parent_type: str | None,
        endpoint: str | None,
        depth: int,
    ) -> None:
        features = expose.get("features")
        if not isinstance(features, list) or not features:
            # A group without features is still something the device has.
            self._add_leaf(expose, expose_type, path, parent_type, endpoint)
            return
        if expose_type in SPECIFIC_TYPES:
            segment = f"{expose_type}_{endpoint}" if endpoint else expose_type
            parent_type = parent_type or expose_type
        else:
            segment = (
                _text(expose.get("property"))
                or _text(expose.get("name"))
                or expose_type
            )
            parent_type = parent_type or expose_type
        for feature in features:
            self._walk(
                feature,
                path=(*path, segment),
                parent_type=parent_type,
                endpoint=endpoint,
                depth=depth + 1,
            )

    def _add_leaf(
        self,
        expose: Mapping[str, Any],
        expose_type: str,
        path: tuple[str, ...],
        parent_type: str | None,
        endpoint: str | None,
    ) -> None:
        name = _text(expose.get("name")) or _text(expose.get("property"))
        prop = _text(expose.get("property")) or name
        if not prop or not name:
            self._problem(f"a {expose_type} expose has neither name nor property")
            return
        if len(self._capabilities) >= MAX_CAPABILITIES_PER_DEVICE:
            self._problem_once("more than 2000 capabilities; the rest is ignored")
            return
        access = expose.get("access", 0)
        if isinstance(access, bool) or not isinstance(access, int) or access < 0:
            shown = (
                _as_text(access) if isinstance(access, list | dict) else repr(access)
            )
            shown = shown[:40]
            self._problem(f"{prop}: access {shown} is not a bit mask; using 0")
            access = 0
        key = "/".join((*path, prop))
        if key in self._capabilities:
            suffix = 2
            while f"{key}#{suffix}" in self._capabilities:
                suffix += 1
            key = f"{key}#{suffix}"
        values = expose.get("values")
        presets = expose.get("presets")
        self._capabilities[key] = Capability(
            key=key,
            property_name=prop,
            name=name,
            type=expose_type,
            access=access & 0b111,
            category=_text(expose.get("category")),
            endpoint=endpoint,
            parent_type=parent_type,
            label=_text(expose.get("label")),
            description=_text(expose.get("description")),
            unit=_text(expose.get("unit")),
            value_min=_number(expose.get("value_min")),
            value_max=_number(expose.get("value_max")),
            value_step=_number(expose.get("value_step")),
            values=tuple(_as_text(v) for v in values[:200])
            if isinstance(values, list)
            else (),
            presets=tuple(
                _as_text(p.get("name"))
                for p in presets[:200]
                if isinstance(p, Mapping) and p.get("name") is not None
            )
            if isinstance(presets, list)
            else (),
            value_on=_simple(expose.get("value_on")),
            value_off=_simple(expose.get("value_off")),
            extra=_extra(expose),
        )
