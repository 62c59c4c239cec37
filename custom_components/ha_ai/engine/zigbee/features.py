"""The catalogue of capability kinds worth telling a user about.

Zigbee2MQTT describes hundreds of device-specific capabilities. Most fall into a few
kinds a user cares about: a leak sensor, a plug that measures power, a button whose
presses can run anything, a status LED that can be switched off at night. This module
names those kinds, says how each one is recognised from a capability, how much a user
gains from it and how easy it is to start with, and holds the words used to tell the
user about it. The judge (`judge.py`) decides *whether* to tell; this module says
*what* a capability is and *how* to talk about it.

Everything is data: `FEATURE_KINDS` is a tuple of frozen dataclasses. To teach the
integration a new kind, add a `FeatureKind` in the right place (the first kind that
matches a capability wins, so specific kinds come before general ones).

Scales:
- `gain` (1-5): how much a user gains. 5 = safety (water, smoke), 4 = a new kind of
  automation (power, vibration, buttons, presence), 3 = comfort or savings, 2 = a
  useful refinement, 1 = a detail.
- `ease` (1-3): how easy it is to start. 3 = just use its entity in an automation,
  2 = enable an entity or change one setting, 1 = needs the Zigbee2MQTT frontend or
  MQTT. The judge lowers it further when the entity is missing or disabled.

A capability that matches no kind is an "other" capability with `DEFAULT_GAIN`.
Kinds with `suggest=False` (link quality, battery, device health, calibration) are
known noise: they never become suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from .model import Capability

OTHER_KIND = "other"
DEFAULT_GAIN = 1
DEFAULT_EASE = 3
MIN_GAIN, MAX_GAIN = 1, 5
MIN_EASE, MAX_EASE = 1, 3

# Zigbee2MQTT puts the endpoint at the end of a property: `state_l1`, `power_ep2`.
_ENDPOINT_SUFFIX = re.compile(r"_(?:l|ep)\d+$")
AUTOMATION_PLACE = "(Settings > Automations & scenes > Create automation)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One way to recognise a kind; every condition that is given must hold.

    Names are regular expressions matched in full, in lower case, against the
    capability's `name` and `property_name` with any endpoint suffix (`_l1`, `_ep2`,
    `_<endpoint>`) removed, so `state_l1` and `countdown_l2` match like `state` and
    `countdown`. `within` matches a parent segment of the key (`program` in
    `program/weekdays_p1_hour`). An empty condition does not restrict.
    """

    names: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    types: frozenset[str] = frozenset()
    units: frozenset[str | None] = frozenset()
    parents: frozenset[str] = frozenset()
    categories: frozenset[str | None] = frozenset()
    values: frozenset[str] = frozenset()
    settable: bool = False

    def matches(
        self, capability: Capability, names: tuple[str, ...], parents: tuple[str, ...]
    ) -> bool:
        """Return whether the capability (its base names and parents) fits."""
        # Cheap conditions first; the regular expressions only when they hold.
        if self.types and capability.type not in self.types:
            return False
        if self.units and capability.unit not in self.units:
            return False
        if self.parents and capability.parent_type not in self.parents:
            return False
        if self.categories and capability.category not in self.categories:
            return False
        if self.settable and not capability.settable:
            return False
        if self.values and self.values.isdisjoint(v.lower() for v in capability.values):
            return False
        if self.within and not any(map(_pattern(self.within).fullmatch, parents)):
            return False
        return not self.names or any(map(_pattern(self.names).fullmatch, names))

    def describe(self) -> str:
        """Return the conditions in words, for the documentation table."""
        parts: list[str] = []
        if self.names:
            parts.append("name " + " / ".join(f"`{name}`" for name in self.names))
        if self.within:
            parts.append("inside " + " / ".join(f"`{name}`" for name in self.within))
        if self.types:
            parts.append("type " + "/".join(sorted(self.types)))
        if self.units:
            units = sorted(unit or "none" for unit in self.units)
            parts.append("unit " + "/".join(units))
        if self.parents:
            parts.append("feature of " + "/".join(sorted(self.parents)))
        if self.categories:
            categories = sorted(category or "none" for category in self.categories)
            parts.append("category " + "/".join(categories))
        if self.values:
            parts.append("values include " + "/".join(sorted(self.values)))
        if self.settable:
            parts.append("settable")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureKind:
    """A kind of capability, how to recognise it, its worth, and its wording.

    Wording: `can` completes "Your <device> can …"; `benefit` says what the user
    gains (`{values}` is replaced by some of the capability's values); `start` is the
    first step once the entity exists (`{entity}` is its entity id); `setting_hint`
    says what to change, for settings.

    Flags: `setting` marks kinds that are changed rather than used in automations;
    `own_suggestion` marks kinds worth a suggestion of their own even when they are a
    feature of a light, switch, cover, lock, fan or climate entity; `device_trigger`
    marks actions that Home Assistant offers as device triggers (buttons, remotes);
    `suggest=False` marks noise that never becomes a suggestion.
    """

    key: str
    label: str
    match: tuple[Match, ...]
    gain: int
    ease: int
    can: str = ""
    benefit: str = ""
    start: str = ""
    setting_hint: str = ""
    suggest: bool = True
    setting: bool = False
    own_suggestion: bool = False
    device_trigger: bool = False


@dataclass(frozen=True, slots=True)
class Recognised:
    """The kind of a capability, and which of the kind's matches fits (0 = best).

    The rank orders the capabilities of one kind: on a plug, `power` (rank 0) is the
    main capability of `power_metering`, before `current` and `voltage`.
    """

    kind: FeatureKind
    rank: int


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """One kind, in words, for the documentation."""

    kind: str
    label: str
    recognised_by: str
    gain: int
    ease: int
    suggested: bool
    example: str


def _names(*patterns: str) -> tuple[str, ...]:
    """Return the patterns as a tuple, even when there is only one."""
    return patterns


_BINARY = frozenset({"binary"})
_NUMERIC = frozenset({"numeric"})
_SPECIFIC = frozenset({"light", "switch", "fan", "cover", "lock"})
_ON = '"on"'

FEATURE_KINDS: tuple[FeatureKind, ...] = (
    # Noise first, so that nothing below ever claims it.
    FeatureKind(
        key="link_quality",
        label="Link quality",
        match=(Match(names=_names("linkquality", "lqi", "rssi", "last_seen")),),
        gain=1,
        ease=3,
        can="report its signal strength",
        suggest=False,
    ),
    FeatureKind(
        key="battery",
        label="Battery",
        match=(
            Match(names=_names(r"battery(_low|_state|_level|_percentage|_voltage)?")),
            Match(names=_names("voltage"), units=frozenset({"mV"})),
        ),
        gain=1,
        ease=3,
        can="report its battery level",
        suggest=False,
    ),
    FeatureKind(
        key="device_health",
        label="Device health",
        match=(
            Match(
                names=_names(
                    "device_temperature",
                    "power_outage_count",
                    "trigger_count",
                    r"update(_available|_state)?",
                    "identify",
                    r"self_test(_result)?",
                )
            ),
            Match(names=_names(r"\w+_count"), categories=frozenset({"diagnostic"})),
        ),
        gain=1,
        ease=3,
        can="report its own health",
        suggest=False,
    ),
    FeatureKind(
        key="calibration",
        label="Calibration",
        match=(Match(names=_names(r"(\w+_)?calibration(_\w+)?", "calibrate")),),
        gain=1,
        ease=2,
        can="be calibrated",
        suggest=False,
        setting=True,
    ),
    # Safety.
    FeatureKind(
        key="water_leak",
        label="Water leak",
        match=(
            Match(
                names=_names("water_leak", "leak", "water_leak_alarm", "flood"),
                types=_BINARY,
            ),
        ),
        gain=5,
        ease=3,
        can="detect water leaks",
        benefit=(
            "A phone alert the moment water appears, or a valve that closes by "
            "itself, can save a floor."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} that sends "
            f"a notification {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="smoke_co",
        label="Smoke, gas, carbon monoxide",
        match=(
            Match(
                names=_names(
                    "smoke", "carbon_monoxide", "gas", "co_detected", "smoke_alarm"
                ),
                types=_BINARY,
            ),
            Match(
                names=_names("co", "smoke_density", "gas_value", "gas_density"),
                types=_NUMERIC,
            ),
        ),
        gain=5,
        ease=3,
        can="detect smoke, gas or carbon monoxide",
        benefit=(
            "Home Assistant can alert every phone, switch the lights on and stop the "
            "ventilation when it goes off."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} that "
            f"notifies everyone and switches the lights on {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="tamper",
        label="Tamper",
        match=(
            Match(names=_names("tamper", "tampered", "tamper_alarm"), types=_BINARY),
        ),
        gain=3,
        ease=3,
        can="tell when it is opened or taken off the wall",
        benefit=(
            "A tamper alert deserves a notification, or the siren when the alarm "
            "is armed."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} "
            f"{AUTOMATION_PLACE}"
        ),
    ),
    # New kinds of automations.
    FeatureKind(
        key="vibration",
        label="Vibration",
        match=(
            Match(names=_names("vibration"), types=_BINARY),
            Match(
                names=_names(
                    "strength",
                    "vibration_strength",
                    r"angle(_[xyz])?",
                    r"[xyz]_axis",
                    "tilt",
                    "drop",
                )
            ),
        ),
        gain=4,
        ease=3,
        can="detect vibration",
        benefit=(
            "It can tell you when the washing machine finishes, or when someone knocks "
            "on a door or moves a window."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} "
            f"{AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="contact",
        label="Door and window contact",
        match=(
            Match(
                names=_names("contact", "door", "window", "door_state"), types=_BINARY
            ),
        ),
        gain=4,
        ease=3,
        can="tell when a door or window opens",
        benefit=(
            "The heating can pause while the window is open, and you can be reminded "
            "of a door left open."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} for 5 "
            f"minutes {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="occupancy",
        label="Motion and presence",
        match=(
            Match(
                names=_names("occupancy", "presence", "motion", "pir", "human_motion"),
                types=_BINARY,
            ),
            Match(
                names=_names("motion_state", "presence_state", "presence_event"),
                types=frozenset({"enum"}),
            ),
        ),
        gain=4,
        ease=3,
        can="sense people in the room",
        benefit=(
            "Lights can follow people, and the heating or the music can stop when the "
            "room empties."
        ),
        start=(
            f"add an automation with a state trigger on {{entity}} to {_ON} that "
            f"switches the lights on {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="button_action",
        label="Button and remote actions",
        match=(
            Match(names=_names("action", "click"), types=frozenset({"enum", "text"})),
        ),
        gain=4,
        ease=3,
        can="start automations with its actions",
        benefit=(
            "Each of its actions ({values}) can run anything: a scene, a light, music."
        ),
        device_trigger=True,
    ),
    FeatureKind(
        key="protection",
        label="Overload protection",
        match=(
            Match(
                names=_names(
                    r"(over_current|over_voltage|under_voltage|over_power|overload|power"
                    r"|temperature|current|voltage|leakage|high_temperature|overheat)"
                    r"_(breaker|protection|threshold|alarm|limit)",
                    "overload_protection",
                    "max_power",
                )
            ),
        ),
        gain=3,
        ease=2,
        can="cut the power on overload, overheating or bad voltage",
        benefit=(
            "Limits that suit what it powers protect the appliance and tell you when "
            "something draws too much."
        ),
        setting_hint="set limits that suit what it powers",
        setting=True,
    ),
    FeatureKind(
        key="led_notification",
        label="LED notifications",
        match=(
            Match(within=_names("led_effect", "individual_led_effect", "notification")),
            Match(
                names=_names(
                    "led_effect",
                    "individual_led_effect",
                    "notification",
                    "led_notification",
                )
            ),
        ),
        gain=4,
        ease=2,
        can="flash its LED as a notification",
        benefit=(
            "Its LED can show that the washing is done, a door is open or the alarm is "
            "armed, right where you look."
        ),
        start=(
            "add an automation that sets {entity} when something needs attention, for "
            f"example the garage door staying open {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="indicator_led",
        label="Indicator LED",
        match=(
            Match(
                names=_names(
                    "led_disabled_night",
                    "indicator",
                    r"(\w+_)?indicator(_mode|_light)?",
                    r"backlight(_mode)?",
                    r"led(_\w+)?",
                )
            ),
        ),
        gain=2,
        ease=2,
        can="dim or switch off its indicator LED",
        benefit=(
            "No more glowing LEDs in the bedroom at night, or a blink that confirms it "
            "works while you set it up."
        ),
        setting_hint="switch the LED off, or to its night mode",
        setting=True,
    ),
    FeatureKind(
        key="light_effect",
        label="Light effects",
        match=(
            Match(
                names=_names("effect"),
                values=frozenset({"blink", "breathe", "okay", "colorloop"}),
            ),
        ),
        gain=3,
        ease=3,
        can="blink or breathe on command",
        benefit=(
            "A blinking light makes a visible doorbell, or a gentle signal that the "
            "washing is done."
        ),
        start=(
            'add an automation that selects "blink" on {entity} when the doorbell '
            f"rings {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="auto_off_timer",
        label="Auto-off timer",
        match=(
            Match(
                names=_names(
                    r"(\w+_)?countdown(_\w+)?",
                    r"auto_off(_time|_delay|_timer)?",
                    r"(turn_)?off_delay",
                    r"inching(_time)?",
                    "timer",
                ),
                settable=True,
            ),
        ),
        gain=3,
        ease=2,
        can="switch itself off after a set time",
        benefit=(
            "The attic light or the towel heater can no longer stay on all night, even "
            "when Home Assistant is down."
        ),
        start=(
            "add an automation that sets {entity} (for example to 900 seconds) "
            f"whenever it is switched on {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="decoupled_mode",
        label="Decoupled mode",
        match=(
            Match(values=frozenset({"decoupled"})),
            Match(names=_names(r"decoupled(_mode)?")),
        ),
        gain=3,
        ease=2,
        can="decouple its wall switch from the relay",
        benefit=(
            "Smart bulbs stay powered while the wall switch becomes a button that can "
            "run any scene."
        ),
        setting_hint=(
            'set it to "decoupled", then use the switch\'s actions in automations'
        ),
        setting=True,
    ),
    FeatureKind(
        key="presence_sensitivity",
        label="Detection tuning",
        match=(
            Match(
                names=_names(
                    r"(\w+_)?sensitivity",
                    r"(\w+_)?detection_(distance|range|delay|interval|period)",
                    "fading_time",
                    "keep_time",
                    r"(presence|occupancy|motion)_timeout",
                )
            ),
        ),
        gain=2,
        ease=2,
        can="have its detection tuned (sensitivity, range, hold time)",
        benefit=(
            "Tuning it to the room stops false alarms and lights that switch off while "
            "you sit still."
        ),
        setting_hint=(
            "raise or lower the sensitivity, range or hold time to fit the room"
        ),
        setting=True,
    ),
    FeatureKind(
        key="transition",
        label="Transition",
        match=(
            Match(
                names=_names(
                    r"transition(_time)?",
                    r"(on|off|move)_transition(_time)?",
                    "fade_time",
                )
            ),
            Match(within=_names("level_config")),
        ),
        gain=2,
        ease=2,
        can="fade on and off smoothly",
        benefit=(
            "A soft fade is kinder at night and hides the pop of a bulb switching on."
        ),
        setting_hint="set a transition of one or two seconds",
        setting=True,
    ),
    FeatureKind(
        key="power_on_behavior",
        label="Power-on behaviour",
        match=(
            Match(
                names=_names(
                    "power_on_behavior",
                    "power_outage_memory",
                    "power_on_state",
                    "color_power_on_behavior",
                    "restore_state",
                    "state_after_power_loss",
                )
            ),
            Match(
                names=_names(
                    "color_temp_startup", "current_level_startup", "do_not_disturb"
                )
            ),
        ),
        gain=2,
        ease=2,
        can="choose what it does when the power comes back",
        benefit=(
            "After a power cut it can stay off, or come back as it was, instead of "
            "switching on at 3 a.m."
        ),
        setting_hint='choose "previous" or "off"',
        setting=True,
        own_suggestion=True,
    ),
    FeatureKind(
        key="child_lock",
        label="Child lock",
        match=(
            Match(
                names=_names(
                    "child_lock", "keypad_lockout", "physical_lock", "lock_physical"
                )
            ),
        ),
        gain=2,
        ease=2,
        can="lock its buttons",
        benefit=(
            "Children and guests can no longer change it by hand, while Home "
            "Assistant still can."
        ),
        setting_hint="lock it, or lock it from an automation at bedtime",
        setting=True,
        own_suggestion=True,
    ),
    FeatureKind(
        key="window_detection",
        label="Open window detection",
        match=(
            Match(
                names=_names(
                    "window_detection",
                    r"open_window(_detection)?",
                    r"window_open_(detection|feature)",
                )
            ),
        ),
        gain=3,
        ease=2,
        can="stop heating when a window opens",
        benefit="The radiator pauses by itself while you air the room.",
        setting_hint="switch it on",
        setting=True,
    ),
    FeatureKind(
        key="heating_schedule",
        label="Built-in heating schedule",
        match=(
            Match(within=_names(r"program(_\w+)?", r"(\w+_)?schedule(_\w+)?")),
            Match(
                names=_names(
                    r"(\w+_)?p\d+_(hour|minute|temperature)",
                    r"(\w+_)?schedule(_\w+)?",
                    r"program(_\w+)?",
                )
            ),
        ),
        gain=3,
        ease=2,
        can="follow a weekly heating programme on its own",
        benefit="The heating keeps to its schedule even while Home Assistant is down.",
        setting_hint="enter your weekly times and temperatures",
        setting=True,
    ),
    FeatureKind(
        key="heating_control",
        label="Heating control",
        match=(Match(parents=frozenset({"climate"})),),
        gain=4,
        ease=3,
        can="lower the heating when nobody needs it",
        benefit=(
            "A lower setpoint at night and while nobody is home saves a good share of "
            "the heating bill."
        ),
        start=(
            "add an automation that lowers the target temperature of {entity} at "
            f"night and when everyone has left {AUTOMATION_PLACE}"
        ),
    ),
    # Measurements.
    FeatureKind(
        key="power_metering",
        label="Power metering",
        match=(
            Match(
                names=_names("power", "active_power", "load"),
                types=_NUMERIC,
                units=frozenset({"W", "kW"}),
            ),
            Match(
                names=_names("current"), types=_NUMERIC, units=frozenset({"A", "mA"})
            ),
            Match(names=_names("voltage"), types=_NUMERIC, units=frozenset({"V"})),
            Match(
                names=_names(
                    "power_factor", "ac_frequency", "reactive_power", "apparent_power"
                ),
                types=_NUMERIC,
            ),
        ),
        gain=4,
        ease=3,
        can="measure power",
        benefit=(
            "It can tell you when the washing machine finishes, or show a device that "
            "draws power for nothing."
        ),
        start=(
            "add an automation with a numeric state trigger on {entity} below 5 W for "
            f"3 minutes {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="energy_metering",
        label="Energy metering",
        match=(
            Match(
                names=_names(r"(\w+_)?energy(_\w+)?", "consumption"),
                types=_NUMERIC,
                units=frozenset({"kWh", "Wh", "MWh"}),
            ),
        ),
        gain=3,
        ease=3,
        can="count the energy it uses",
        benefit="The Energy dashboard can show what it costs per day and per month.",
        start=(
            "add {entity} to the Energy dashboard (Settings > Dashboards > Energy > "
            "Individual devices)"
        ),
    ),
    FeatureKind(
        key="illuminance",
        label="Illuminance",
        match=(
            Match(
                names=_names(r"illuminance(_lux|_raw)?", "lux", "light_level"),
                types=_NUMERIC,
                units=frozenset({"lx", None}),
            ),
        ),
        gain=3,
        ease=3,
        can="measure how bright it is",
        benefit="Motion lights can switch on only when it is actually dark.",
        start=(
            "add a numeric state condition on {entity} below 30 lx to your motion "
            f"light automation {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="air_quality",
        label="Air quality",
        match=(
            Match(names=_names("air_quality", "aqi", "iaq")),
            Match(names=_names("co2", "eco2"), types=_NUMERIC),
            Match(names=_names("pm25", "pm2_5", "pm10", "pm1"), types=_NUMERIC),
            Match(
                names=_names("voc", "tvoc", r"formaldehyde?", "hcho", "ch2o"),
                types=_NUMERIC,
            ),
        ),
        gain=3,
        ease=3,
        can="measure air quality",
        benefit=(
            "A fan, or a reminder to open a window, can start when CO2 or pollutants "
            "rise."
        ),
        start=(
            "add an automation with a numeric state trigger on {entity} above the "
            f"level you choose {AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="humidity",
        label="Humidity",
        match=(
            Match(
                names=_names("humidity", "relative_humidity"),
                types=_NUMERIC,
                units=frozenset({"%", None}),
            ),
        ),
        gain=3,
        ease=3,
        can="measure humidity",
        benefit=(
            "The bathroom fan can run only while it is needed, and you can be warned "
            "before mould starts."
        ),
        start=(
            "add an automation with a numeric state trigger on {entity} above 70 % "
            f"{AUTOMATION_PLACE}"
        ),
    ),
    FeatureKind(
        key="temperature",
        label="Temperature",
        match=(
            Match(
                names=_names(
                    "temperature", "local_temperature", "external_temperature"
                ),
                types=_NUMERIC,
                units=frozenset({"°C", "°F", None}),
            ),
        ),
        gain=2,
        ease=3,
        can="measure temperature",
        benefit=(
            "Heating, a fan or a frost warning can react to the real temperature here."
        ),
        start=(
            "add an automation with a numeric state trigger on {entity} at the "
            f"temperature you care about {AUTOMATION_PLACE}"
        ),
    ),
    # The main control of a light, switch, fan, cover or lock: last, so that any
    # kind above claims a feature first.
    FeatureKind(
        key="control",
        label="Automatic control",
        match=(Match(parents=_SPECIFIC),),
        gain=2,
        ease=3,
        can="be switched by automations",
        benefit="It can follow motion, sunset or a schedule instead of a finger.",
        start=(
            "add an automation that controls {entity}, for example at sunset or when "
            f"motion is detected {AUTOMATION_PLACE}"
        ),
    ),
)

_BY_KEY = {kind.key: kind for kind in FEATURE_KINDS}


@cache
def _pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """Return one compiled pattern that matches any of `patterns` in full."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


def _base(name: str, endpoint: str | None) -> str:
    """Return the name in lower case without its endpoint suffix."""
    name = name.lower()
    if endpoint:
        name = name.removesuffix(f"_{endpoint.lower()}")
    return _ENDPOINT_SUFFIX.sub("", name)


def base_names(capability: Capability) -> tuple[str, ...]:
    """Return the capability's name and property, lower case, without endpoint."""
    names = (
        _base(capability.name, capability.endpoint),
        _base(capability.property_name, capability.endpoint),
    )
    return tuple(dict.fromkeys(names))


def parent_segments(capability: Capability) -> tuple[str, ...]:
    """Return the key's parent segments (`light`, `program`), without endpoint."""
    path = capability.key.split("#", 1)[0].split("/")[:-1]
    return tuple(_base(segment, capability.endpoint) for segment in path)


def classify(capability: Capability) -> Recognised | None:
    """Return the first kind that recognises the capability, or None ("other")."""
    return _classify(
        capability.key.split("#", 1)[0],
        capability.name,
        capability.property_name,
        capability.type,
        capability.access,
        capability.category,
        capability.endpoint,
        capability.parent_type,
        capability.unit,
        capability.values,
    )


@lru_cache(maxsize=4096)
def _classify(  # noqa: PLR0913
    key: str,
    name: str,
    property_name: str,
    type_: str,
    access: int,
    category: str | None,
    endpoint: str | None,
    parent_type: str | None,
    unit: str | None,
    values: tuple[str, ...],
) -> Recognised | None:
    """Classify by the fields that matter; the same capabilities recur a lot."""
    capability = Capability(
        key=key,
        property_name=property_name,
        name=name,
        type=type_,
        access=access,
        category=category,
        endpoint=endpoint,
        parent_type=parent_type,
        unit=unit,
        values=values,
    )
    names = base_names(capability)
    parents = parent_segments(capability)
    for kind in FEATURE_KINDS:
        for rank, match in enumerate(kind.match):
            if match.matches(capability, names, parents):
                return Recognised(kind=kind, rank=rank)
    return None


def kind_by_key(key: str) -> FeatureKind | None:
    """Return the kind called `key`, or None."""
    return _BY_KEY.get(key)


def score(gain: int, ease: int) -> float:
    """Return the worth of a suggestion: gain, weighted by how easy it is to start.

    score = gain x (0.4 + 0.2 x ease): ease 3 keeps the whole gain, ease 2 keeps 80 %,
    ease 1 keeps 60 %. Gain dominates: a leak sensor that needs the Zigbee2MQTT
    frontend (5 x 0.6 = 3.0) still ranks above a temperature reading ready to use
    (2 x 1.0 = 2.0). The result lies between 0.6 and 5.0.
    """
    return round(gain * (0.4 + 0.2 * ease), 2)


def catalogue_rows() -> list[CatalogueRow]:
    """Return the catalogue in words, one row per kind, in matching order."""
    return [
        CatalogueRow(
            kind=kind.key,
            label=kind.label,
            recognised_by="; or ".join(match.describe() for match in kind.match),
            gain=kind.gain,
            ease=kind.ease,
            suggested=kind.suggest,
            example=(
                f"Your device can {kind.can}. "
                + kind.benefit.replace("{values}", "single, double, hold")
            ).strip(),
        )
        for kind in FEATURE_KINDS
    ]


def catalogue_markdown() -> str:
    """Return the catalogue as a Markdown table, for docs/zigbee.md."""
    lines = [
        "| kind | recognised by | gain | ease | example suggestion |",
        "|---|---|---|---|---|",
    ]
    for row in catalogue_rows():
        example = row.example if row.suggested else "(never suggested)"
        recognised = row.recognised_by.replace("|", "\\|")
        lines.append(
            f"| `{row.kind}` | {recognised} | {row.gain} | {row.ease} | {example} |"
        )
    lines.append(
        f"| `{OTHER_KIND}` | anything else that is not a diagnostic | "
        f"{DEFAULT_GAIN} | {DEFAULT_EASE} | "
        'Your device can set "Switch type". |'
    )
    return "\n".join(lines) + "\n"
