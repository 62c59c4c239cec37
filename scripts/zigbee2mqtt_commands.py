"""What a Zigbee2MQTT device does with a ``/set`` or ``/get`` request.

Pure functions, no MQTT: ``scripts/zigbee2mqtt_bridge`` feeds them the device
(its ``bridge/devices`` entry), its current state and the request, and
publishes what they return. They follow Zigbee2MQTT 2.x:

- a ``/set`` payload is a JSON object of properties; any other payload means
  ``{"state": payload}`` (so ``ON``, ``OFF`` and ``TOGGLE`` work as plain text),
  and ``<name>/set/<property>`` sets one property;
- each property is handled on its own: one the device does not expose, or
  exposes read-only, is ignored with a reason ("No converter available"), as is
  a value of the wrong type; the others still apply;
- a light's brightness and colour temperature are clamped to the device's
  range; a brightness above 0 switches the light on, 0 switches it off; a
  colour (``x``/``y``, ``hue``/``saturation``, ``h``/``s``, ``hex`` or
  ``r``/``g``/``b``) sets ``color`` and ``color_mode``;
- ``/get`` answers with the whole state when at least one requested property
  is readable.

Every reason is a sentence for the log, like Zigbee2MQTT's own.
"""

from __future__ import annotations

import colorsys
import dataclasses
import json
import math
from collections.abc import Iterator
from typing import Any

SET = 2
GET = 4
MAX_PAYLOAD_BYTES = 8192
LIGHT_ONLY_OPTIONS = frozenset({"transition"})
# sRGB (D65) to CIE XYZ, as Zigbee2MQTT's colour conversions use it.
RGB_TO_XYZ = (
    (0.4124, 0.3576, 0.1805),
    (0.2126, 0.7152, 0.0722),
    (0.0193, 0.1192, 0.9505),
)
XYZ_TO_RGB = (
    (3.2406, -1.5372, -0.4986),
    (-0.9689, 1.8758, 0.0415),
    (0.0557, -0.2040, 1.0570),
)


class InvalidValueError(ValueError):
    """A value the device cannot take; the message says why."""


@dataclasses.dataclass(frozen=True)
class Feature:
    """One settable or readable property of a device, from its exposes."""

    expose: dict[str, Any]
    in_light: bool

    @property
    def access(self) -> int:
        """Return the access bits."""
        return int(self.expose.get("access", 0))


@dataclasses.dataclass
class Outcome:
    """What a request changed, and why parts of it were ignored."""

    state: dict[str, Any]
    applied: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)


def _leaves(exposes: list[dict[str, Any]], *, in_light: bool) -> Iterator[Feature]:
    for expose in exposes:
        if expose.get("type") == "composite" and expose.get("property") == "color":
            yield Feature(expose, in_light)
        elif "features" in expose:
            yield from _leaves(
                expose["features"], in_light=in_light or expose.get("type") == "light"
            )
        elif "property" in expose:
            yield Feature(expose, in_light)


def features(device: dict[str, Any]) -> dict[str, Feature]:
    """Return the device's properties by name, nested features included."""
    definition = device.get("definition") or {}
    found: dict[str, Feature] = {}
    for feature in _leaves(definition.get("exposes") or [], in_light=False):
        found.setdefault(feature.expose["property"], feature)
    return found


def endpoints(device: dict[str, Any]) -> set[str]:
    """Return the endpoint names the device's exposes use (``l1``, ``l2``, ...)."""
    definition = device.get("definition") or {}
    names: set[str] = set()
    for feature in _leaves(definition.get("exposes") or [], in_light=False):
        if endpoint := feature.expose.get("endpoint"):
            names.add(str(endpoint))
    return names


def parse_request(
    payload: bytes, attribute: str | None = None, endpoint: str | None = None
) -> dict[str, Any]:
    """Return a request's properties; raise InvalidValueError for an unusable one.

    ``attribute`` comes from a ``<name>/set/<attribute>`` topic, ``endpoint``
    from ``<name>/<endpoint>/set`` (which suffixes the properties, as
    ``state`` → ``state_l1``).
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        msg = f"a payload of {len(payload)} bytes (at most {MAX_PAYLOAD_BYTES})"
        raise InvalidValueError(msg)
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        raise InvalidValueError("a payload that is not UTF-8 text") from None
    try:
        value: object = json.loads(text)
    except ValueError:
        value = text
    if attribute is not None:
        request = {attribute: value}
    elif isinstance(value, dict):
        request = value
    else:
        request = {"state": value}
    if endpoint:
        request = {f"{key}_{endpoint}": item for key, item in request.items()}
    return request


def _number(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise InvalidValueError(f"{name} must be a number, not {value!r}")
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise InvalidValueError(f"{name} must be a number, not {_shown(value)}")


def _whole(number: float) -> float | int:
    """Return ``number`` as an int when it is one, as JSON from Zigbee2MQTT has it."""
    return int(number) if number.is_integer() else number


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004


def _numeric(feature: Feature, value: object) -> float | int:
    expose = feature.expose
    name = expose["property"]
    presets = {preset["name"]: preset["value"] for preset in expose.get("presets", [])}
    if isinstance(value, str) and value in presets:
        value = presets[value]
    number = _number(value, name)
    low, high = expose.get("value_min"), expose.get("value_max")
    if feature.in_light:
        # Zigbee2MQTT clamps a light's brightness and colour temperature.
        if low is not None:
            number = max(number, low)
        if high is not None:
            number = min(number, high)
    elif (low is not None and number < low) or (high is not None and number > high):
        msg = f"{name} must be between {low} and {high}, not {_shown(value)}"
        raise InvalidValueError(msg)
    if step := expose.get("value_step"):
        number = round(number / step) * step
    return (
        int(number)
        if number == int(number) and not expose.get("value_step")
        else number
    )


def _binary(feature: Feature, value: object, current: object) -> object:
    expose = feature.expose
    on, off = expose.get("value_on"), expose.get("value_off")
    toggle = expose.get("value_toggle")
    if isinstance(on, str) and isinstance(value, str):
        # Zigbee2MQTT takes "on", "On" and "ON" alike.
        value = value.upper() if value.upper() in {on, off, toggle} else value
    if toggle is not None and value == toggle:
        return off if current == on else on
    if value in (on, off) and type(value) is type(on):
        return value
    choices = ", ".join(repr(v) for v in (on, off, toggle) if v is not None)
    msg = f"{expose['property']} must be one of {choices}, not {_shown(value)}"
    raise InvalidValueError(msg)


def _enum(feature: Feature, value: object) -> str:
    values = [str(v) for v in feature.expose.get("values", [])]
    if isinstance(value, str):
        for choice in values:
            if choice.lower() == value.lower():
                return choice
    msg = f"{feature.expose['property']} must be one of {values}, not {_shown(value)}"
    raise InvalidValueError(msg)


def xy_to_hs(x: float, y: float) -> tuple[int, int]:
    """Return the hue (0-360) and saturation (0-100) of a CIE 1931 colour."""
    if y <= 0:
        return 0, 0
    xyz = (x / y, 1.0, (1 - x - y) / y)
    rgb = [
        max(0.0, sum(m * c for m, c in zip(row, xyz, strict=True)))
        for row in XYZ_TO_RGB
    ]
    peak = max(rgb) or 1.0
    hue, saturation, _ = colorsys.rgb_to_hsv(*(c / peak for c in rgb))
    return round(hue * 360) % 360, round(saturation * 100)


def hs_to_xy(hue: float, saturation: float) -> tuple[float, float]:
    """Return the CIE 1931 x/y of a hue (0-360) and saturation (0-100)."""
    rgb = colorsys.hsv_to_rgb((hue % 360) / 360, min(max(saturation, 0), 100) / 100, 1)
    return rgb_to_xy(rgb)


def rgb_to_xy(rgb: tuple[float, float, float]) -> tuple[float, float]:
    """Return the CIE 1931 x/y of an sRGB colour with components 0-1."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]  # noqa: PLR2004
    x, y, z = (
        sum(m * c for m, c in zip(row, linear, strict=True)) for row in RGB_TO_XYZ
    )
    total = x + y + z
    if total == 0:
        return 0.3127, 0.329  # white (D65)
    return round(x / total, 4), round(y / total, 4)


def _color(value: object) -> tuple[dict[str, Any], str]:
    """Return the state's ``color`` and ``color_mode`` for a requested colour."""
    if not isinstance(value, dict):
        raise InvalidValueError(f"color must be an object, not {_shown(value)}")
    if "x" in value and "y" in value:
        x, y = _number(value["x"], "color.x"), _number(value["y"], "color.y")
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise InvalidValueError(f"color x/y must be between 0 and 1, not {x}/{y}")
        hue, saturation = xy_to_hs(x, y)
        return {"hue": hue, "saturation": saturation, "x": x, "y": y}, "xy"
    hue_key = "hue" if "hue" in value else "h"
    saturation_key = "saturation" if "saturation" in value else "s"
    if hue_key in value and saturation_key in value:
        hue_set = _whole(_number(value[hue_key], "color.hue"))
        saturation_set = _whole(_number(value[saturation_key], "color.saturation"))
        x, y = hs_to_xy(hue_set, saturation_set)
        return {"hue": hue_set, "saturation": saturation_set, "x": x, "y": y}, "hs"
    if "hex" in value or all(key in value for key in "rgb"):
        rgb = _rgb(value)
        x, y = rgb_to_xy(rgb)
        hue, saturation = xy_to_hs(x, y)
        return {"hue": hue, "saturation": saturation, "x": x, "y": y}, "xy"
    msg = f"color needs x/y, hue/saturation, hex or r/g/b, not {_shown(value)}"
    raise InvalidValueError(msg)


def _rgb(value: dict[str, Any]) -> tuple[float, float, float]:
    if "hex" in value:
        text = str(value["hex"]).removeprefix("#")
        try:
            parts = [int(text[i : i + 2], 16) for i in (0, 2, 4)]
        except ValueError:
            parts = []
        if len(text) != 6 or len(parts) != 3:  # noqa: PLR2004
            raise InvalidValueError(f"color.hex must be #rrggbb, not {_shown(text)}")
    else:
        parts = [int(_number(value[key], f"color.{key}")) for key in "rgb"]
        if not all(0 <= part <= 255 for part in parts):  # noqa: PLR2004
            raise InvalidValueError(f"color r/g/b must be 0-255, not {parts}")
    red, green, blue = (part / 255 for part in parts)
    return red, green, blue


def apply_set(
    device: dict[str, Any], state: dict[str, Any], request: dict[str, Any]
) -> Outcome:
    """Return the device's state after a ``/set`` request, and what was ignored."""
    outcome = Outcome(dict(state))
    known = features(device)
    is_light = any(feature.in_light for feature in known.values())
    new = outcome.state
    for key, value in request.items():
        if key in LIGHT_ONLY_OPTIONS and is_light:
            continue  # accepted; the stand-in changes at once
        try:
            name, target = _unstep(known, new, key, value)
            feature = known.get(name)
            if feature is None or not feature.access & SET:
                shown = _shown(value)
                outcome.problems.append(f"No converter available for '{key}' ({shown})")
                continue
            _apply(feature, name, target, new)
        except InvalidValueError as err:
            outcome.problems.append(str(err))
        else:
            outcome.applied.append(key)
    return outcome


def _unstep(
    known: dict[str, Feature], state: dict[str, Any], key: str, value: object
) -> tuple[str, object]:
    """Turn ``brightness_step`` into the brightness it leads to."""
    if key == "brightness_step" and "brightness" in known:
        now = state.get("brightness", 0) if state.get("state") == "ON" else 0
        return "brightness", _number(now, "brightness") + _number(value, key)
    return key, value


def _apply(feature: Feature, key: str, value: object, new: dict[str, Any]) -> None:
    kind = feature.expose.get("type")
    if key == "color":
        new["color"], new["color_mode"] = _color(value)
    elif kind == "numeric":
        number = _numeric(feature, value)
        if feature.in_light and key == "brightness":
            # Level with on/off: 0 switches off and keeps the last brightness.
            new["state"] = "ON" if number > 0 else "OFF"
            if number == 0:
                return
        new[key] = number
        if feature.in_light and key == "color_temp":
            new["color_mode"] = "color_temp"
    elif kind == "binary":
        new[key] = _binary(feature, value, new.get(key))
    elif kind == "enum":
        choice = _enum(feature, value)
        if key == "state" and choice in {"OPEN", "CLOSE"}:
            new["position"] = 100 if choice == "OPEN" else 0  # a cover moves
        elif key != "state" or choice != "STOP":
            new[key] = choice
    else:
        msg = f"{key} of type {kind} cannot be set by this stand-in"
        raise InvalidValueError(msg)


def readable(
    device: dict[str, Any], request: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Return the requested properties ``/get`` can read, and why others cannot."""
    known = features(device)
    found, problems = [], []
    for key in request:
        feature = known.get(key)
        if feature is not None and feature.access & GET:
            found.append(key)
        else:
            problems.append(f"No converter available for 'get' '{key}'")
    return found, problems
