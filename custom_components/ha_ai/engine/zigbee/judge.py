"""Which capabilities of the Zigbee devices nothing uses, worth telling the user.

The Home Assistant side says, per device, which entity stands for each capability,
whether it is disabled, and whether an automation, script or scene uses it. This
module judges each capability against that and returns ranked, ready-worded
suggestions ("Your Aqara DJT11LM in the hall can detect vibration ...").

Rules:
- The coordinator, disabled devices and devices whose interview has not succeeded
  are skipped. A device missing from `usage` counts as having no entities.
- Noise never becomes a suggestion: kinds the catalogue marks `suggest=False`
  (link quality, battery, device health, calibration), diagnostics that match no
  kind, and capabilities that are neither published nor settable.
- A capability is *used* when its entity is referenced by an automation, script or
  scene. An action (buttons, remotes: kinds with `device_trigger`) is also used when
  the device is referenced, since device triggers name the device, not an entity. A
  `config` setting is also used when its key is in `changed_settings`.
- A feature of a light, switch, cover, lock, fan or climate entity (`parent_type`
  set, key like `light/brightness`) is represented by that entity: it is used when
  the parent entity is referenced. Kinds marked `own_suggestion` (child lock,
  power-on behaviour) stand on their own and need an entity of their own.
- An unused capability gets a reason: `default_setting` for a `config` setting,
  else `no_entity`, `entity_disabled` or `not_referenced`.
- No flooding, per device: a kind already used on the device is not suggested; the
  features of one parent entity give at most one suggestion (the best); and each
  kind gives at most one suggestion, naming its main capability (the best-ranked
  match of the kind: `power` before `current` and `voltage`), with the others of
  the kind listed as related.
- `ease` is the kind's ease, lowered by what is missing: no entity caps it at 1
  (the Zigbee2MQTT frontend is needed), a disabled entity at 2 (enable it first),
  and a setting never exceeds 2. Actions keep their ease: device triggers work
  without an entity. `score` is `features.score(gain, ease)`:
  gain x (0.4 + 0.2 x ease).
- Results are ranked by score, best first, then by `opportunity_id`
  (`<ieee_address>/<capability key>`, stable across runs).

Names come from the bridge and the user: they are plain data. They are bounded in
length and stripped of control characters before they enter a text, and never
interpreted.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import overload

from .exposes import SPECIFIC_TYPES
from .features import (
    AUTOMATION_PLACE,
    DEFAULT_EASE,
    DEFAULT_GAIN,
    OTHER_KIND,
    FeatureKind,
    classify,
)
from .features import score as compute_score
from .model import Capability, InterviewState, ZigbeeDevice
from .steps import Steps, run_to_end

MAX_NAME = 80  # a device name, model or area inside a title or description
MAX_FRIENDLY_NAME = 200  # the friendly name returned as a field
MAX_LABEL = 60
MAX_VALUE = 30
MAX_DETAIL = 160
MAX_ENTITY_ID = 255
MAX_RELATED = 3
ELLIPSIS = "…"
SETTINGS_EASE = 2
EASE_WITHOUT_ENTITY = 1
EASE_WITH_DISABLED_ENTITY = 2
ENTITY_PLACE = "(Settings > Devices & services > Entities"


class Reason(StrEnum):
    """Why a capability counts as unused."""

    NO_ENTITY = "no_entity"
    ENTITY_DISABLED = "entity_disabled"
    NOT_REFERENCED = "not_referenced"
    DEFAULT_SETTING = "default_setting"


@dataclass(frozen=True, slots=True)
class EntityLink:
    """The Home Assistant entity that represents a capability."""

    entity_id: str
    disabled: bool
    referenced: bool  # by an automation, script or scene


DISABLED = 1  # a bit of `DeviceUsage.link_flags`: the entity is disabled
REFERENCED = 2  # a bit of `DeviceUsage.link_flags`: something uses the entity


class EntityLinks(Mapping[str, EntityLink]):
    """A device's links, by capability key, read from two dicts of plain values.

    `entity_ids` maps a capability key to its entity, `flags` the same key to the
    `DISABLED` and `REFERENCED` bits of that entity. An `EntityLink` exists only
    while someone looks at it (see `DeviceUsage` for why).
    """

    __slots__ = ("entity_ids", "flags")

    def __init__(self, entity_ids: Mapping[str, str], flags: Mapping[str, int]) -> None:
        """Read the links from `entity_ids` and `flags` (not copied)."""
        self.entity_ids = entity_ids
        self.flags = flags

    @classmethod
    def of(cls, links: Mapping[str, EntityLink]) -> EntityLinks:
        """Return the plain form of `links`."""
        if isinstance(links, EntityLinks):
            return links
        return cls(
            {key: link.entity_id for key, link in links.items()},
            {
                key: DISABLED * link.disabled + REFERENCED * link.referenced
                for key, link in links.items()
            },
        )

    def __getitem__(self, key: str) -> EntityLink:
        """Return the link of the capability `key`."""
        flags = self.flags[key]
        return EntityLink(
            self.entity_ids[key],
            disabled=bool(flags & DISABLED),
            referenced=bool(flags & REFERENCED),
        )

    @overload
    def get(self, key: str, /) -> EntityLink | None: ...
    @overload
    def get[T](self, key: str, /, default: EntityLink | T) -> EntityLink | T: ...
    def get[T](
        self, key: str, /, default: EntityLink | T | None = None
    ) -> EntityLink | T | None:
        """Return the link of `key`, or `default`, without raising KeyError.

        The judge asks for every capability, and many have no entity: the
        inherited `get` would raise and catch an exception for each of them.
        """
        if key not in self.entity_ids:
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        """Return whether the capability `key` has an entity."""
        return key in self.entity_ids

    def __iter__(self) -> Iterator[str]:
        """Iterate over the capability keys that have an entity."""
        return iter(self.entity_ids)

    def __len__(self) -> int:
        """Return how many capabilities have an entity."""
        return len(self.entity_ids)

    def __repr__(self) -> str:
        """Return the links as a dict would show them."""
        return f"EntityLinks({dict(self.items())!r})"


@dataclass(frozen=True, slots=True, init=False)
class DeviceUsage:
    """What Home Assistant knows about one Zigbee device (by IEEE address).

    A house of thousands of devices has tens of thousands of links. Held as
    `EntityLink` objects in a dict, each is an object the garbage collector
    tracks, and every judgement would add that many to its oldest generation,
    soon forcing a full collection of all of Home Assistant's memory, which holds
    the interpreter lock (and so the event loop) for hundreds of milliseconds.
    Dicts of strings and integers are not tracked at all, so the links are kept
    as two such dicts, and a device's usage is one tracked object in all.
    """

    # capability key -> its entity's id; a missing key means no entity
    entity_ids: Mapping[str, str]
    # capability key -> DISABLED and REFERENCED bits of its entity
    link_flags: Mapping[str, int]
    # the HA device is used by an automation, script or scene (device triggers and
    # actions, e.g. button actions)
    device_referenced: bool
    area: str | None
    # keys of `config` capabilities whose value differs from the default (or that
    # the user changed)
    changed_settings: frozenset[str]

    def __init__(
        self,
        links: Mapping[str, EntityLink],
        *,
        device_referenced: bool = False,
        area: str | None = None,
        changed_settings: frozenset[str] = frozenset(),
    ) -> None:
        """Describe a device by its links (capability key -> entity) and the rest."""
        plain = EntityLinks.of(links)
        set_field = object.__setattr__
        set_field(self, "entity_ids", plain.entity_ids)
        set_field(self, "link_flags", plain.flags)
        set_field(self, "device_referenced", device_referenced)
        set_field(self, "area", area)
        set_field(self, "changed_settings", changed_settings)

    @property
    def links(self) -> EntityLinks:
        """Return the entity of each capability that has one, by capability key."""
        return EntityLinks(self.entity_ids, self.link_flags)


@dataclass(frozen=True, slots=True)
class UnusedCapability:
    """A capability nothing uses, worded as a suggestion."""

    opportunity_id: str  # stable: f"{ieee_address}/{capability.key}"
    ieee_address: str
    friendly_name: str
    device_model: str  # device.display_model
    area: str | None
    capability_key: str
    property_name: str
    feature_kind: str  # catalogue key, or "other"
    reason: (
        str  # "no_entity" | "entity_disabled" | "not_referenced" | "default_setting"
    )
    entity_id: str | None
    title: str
    description: str
    how_to_start: str
    gain: int
    ease: int
    score: float


NO_USAGE = DeviceUsage(links={})


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An unused capability of one device, before de-duplication and wording."""

    index: int
    capability: Capability
    kind: FeatureKind | None
    rank: int
    link: EntityLink | None
    reason: Reason
    gain: int
    ease: int
    group: str | None  # the parent entity's key segment, for covered features

    @property
    def kind_key(self) -> str:
        return self.kind.key if self.kind else OTHER_KIND

    @property
    def score(self) -> float:
        return compute_score(self.gain, self.ease)


def _clean_char(char: str) -> str:
    """Return `char`, or what replaces it when it is not plain text.

    A line break or control character becomes a space; an invisible format
    character (bidirectional override, zero width) goes.
    """
    category = unicodedata.category(char)
    if category in {"Cc", "Zl", "Zp"}:
        return " "
    return "" if category.startswith("C") else char


def clean_text(value: object, limit: int) -> str:
    """Return `value` as one line of at most `limit` characters, no control chars.

    Control characters, line breaks and invisible format characters (such as
    bidirectional overrides) go; runs of white space become one space; a longer
    text is cut and ends with an ellipsis.
    """
    return _clean(str(value), limit)


@functools.lru_cache(maxsize=8192)
def _clean(text: str, limit: int) -> str:
    """Clean one text; names repeat across a device's suggestions, so cache."""
    if not text.isprintable():
        text = "".join(_clean_char(char) for char in text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def _judged(device: ZigbeeDevice) -> bool:
    """Return whether the device is one to judge at all."""
    return (
        not device.is_coordinator
        and not device.disabled
        and device.interview_state == InterviewState.SUCCESSFUL
    )


def _group(capability: Capability) -> str | None:
    """Return the key segment of the capability's parent entity, if it has one."""
    if capability.parent_type not in SPECIFIC_TYPES or "/" not in capability.key:
        return None
    return capability.key.split("/", 1)[0]


def _parent_link(
    links: Mapping[str, EntityLink],
    group: str,
    own_key: str,
    siblings: dict[str, list[str]],
) -> EntityLink | None:
    """Return the parent entity's link: its own key, or a sibling's (state first).

    The capability's own link does not count: it tells nothing about whether the
    parent has an entity of its own. `siblings` keeps each group's linked keys,
    in order of preference, for the other features of the same device.
    """
    if group in links:
        return links[group]
    keys = siblings.get(group)
    if keys is None:
        prefix = f"{group}/"
        keys = siblings[group] = sorted(
            (key for key in links if key.startswith(prefix)),
            key=lambda key: (not key[len(prefix) :].startswith("state"), key),
        )
    for key in keys:
        if key != own_key:
            return links[key]
    return None


def _is_setting(capability: Capability, kind: FeatureKind | None) -> bool:
    """Return whether the capability is changed rather than used in automations."""
    return capability.is_config or (kind is not None and kind.setting)


def _ease(
    capability: Capability, kind: FeatureKind | None, link: EntityLink | None
) -> int:
    """Return how easy it is to start, given the kind and the entity's state."""
    ease = kind.ease if kind else DEFAULT_EASE
    if kind is not None and kind.device_trigger:
        return ease
    if link is None:
        ease = min(ease, EASE_WITHOUT_ENTITY)
    elif link.disabled:
        ease = min(ease, EASE_WITH_DISABLED_ENTITY)
    if _is_setting(capability, kind):
        ease = min(ease, SETTINGS_EASE)
    return ease


def _reason(capability: Capability, link: EntityLink | None) -> Reason:
    if capability.is_config:
        return Reason.DEFAULT_SETTING
    if link is None:
        return Reason.NO_ENTITY
    if link.disabled:
        return Reason.ENTITY_DISABLED
    return Reason.NOT_REFERENCED


@dataclass(frozen=True, slots=True)
class _Judgeable:
    """A capability worth judging, with all that depends on the capability alone."""

    index: int
    capability: Capability
    kind: FeatureKind | None
    rank: int
    group: str | None  # the parent entity's key segment, if it has one
    covered: bool  # the parent entity stands for it


type Plans = dict[int, tuple[tuple[Capability, ...], tuple[_Judgeable, ...]]]


def _judgeable(capabilities: tuple[Capability, ...]) -> tuple[_Judgeable, ...]:
    """Return the capabilities worth judging: noise and unusable ones are left out."""
    judgeable = []
    for index, capability in enumerate(capabilities):
        recognised = classify(capability)
        kind = recognised.kind if recognised else None
        if kind is not None and not kind.suggest:
            continue
        if kind is None and capability.is_diagnostic:
            continue
        if not (capability.published or capability.settable):
            continue
        group = _group(capability)
        judgeable.append(
            _Judgeable(
                index=index,
                capability=capability,
                kind=kind,
                rank=recognised.rank if recognised else 0,
                group=group,
                covered=group is not None
                and not (kind is not None and kind.own_suggestion),
            )
        )
    return tuple(judgeable)


def _planned(
    capabilities: tuple[Capability, ...], plans: Plans | None
) -> tuple[_Judgeable, ...]:
    """Return `_judgeable(capabilities)`, worked out once per shared definition.

    The devices of one model share one tuple of capabilities (see `devices`), so
    in a large house most devices find their plan already made. The plans keep
    each tuple alive, so no other tuple can take its id meanwhile.
    """
    if plans is None:
        return _judgeable(capabilities)
    known = plans.get(id(capabilities))
    if known is None:
        known = plans[id(capabilities)] = (capabilities, _judgeable(capabilities))
    return known[1]


def _candidates(
    device: ZigbeeDevice, usage: DeviceUsage, plans: Plans | None = None
) -> tuple[list[_Candidate], set[str]]:
    """Return the unused capabilities, and the kinds the device already uses."""
    candidates: list[_Candidate] = []
    used_kinds: set[str] = set()
    links = usage.links
    siblings: dict[str, list[str]] = {}
    for judgeable in _planned(device.capabilities, plans):
        capability, kind, group = judgeable.capability, judgeable.kind, judgeable.group
        covered = judgeable.covered
        parent = _parent_link(links, group, capability.key, siblings) if group else None
        link = links.get(capability.key)
        if covered:
            link = link or parent
        elif (
            link is not None
            and parent is not None
            and link.entity_id == parent.entity_id
        ):
            # A kind of its own needs an entity of its own, not the parent's.
            link = None
        used = (
            (link is not None and link.referenced)
            or (covered and parent is not None and parent.referenced)
            or (kind is not None and kind.device_trigger and usage.device_referenced)
            or (capability.is_config and capability.key in usage.changed_settings)
        )
        if used:
            if kind is not None:
                used_kinds.add(kind.key)
            continue
        candidates.append(
            _Candidate(
                index=judgeable.index,
                capability=capability,
                kind=kind,
                rank=judgeable.rank,
                link=link,
                reason=_reason(capability, link),
                gain=kind.gain if kind else DEFAULT_GAIN,
                ease=_ease(capability, kind, link),
                group=group if covered else None,
            )
        )
    return candidates, used_kinds


def _best(candidates: Iterable[_Candidate]) -> _Candidate:
    return min(candidates, key=lambda c: (c.rank, -c.score, c.index))


def _select(
    candidates: list[_Candidate], used_kinds: set[str]
) -> list[tuple[_Candidate, list[_Candidate]]]:
    """Return one candidate per kind, with the other candidates of its kind."""
    kept = [c for c in candidates if c.kind_key not in used_kinds]
    # The features of one parent entity: only the best one speaks for them.
    best_of_group: dict[str, _Candidate] = {}
    for candidate in kept:
        if candidate.group is None:
            continue
        current = best_of_group.get(candidate.group)
        if current is None or (-candidate.score, candidate.index) < (
            -current.score,
            current.index,
        ):
            best_of_group[candidate.group] = candidate
    kept = [c for c in kept if c.group is None or best_of_group[c.group] is c]
    by_kind: dict[str, list[_Candidate]] = {}
    for candidate in kept:
        by_kind.setdefault(candidate.kind_key, []).append(candidate)
    selected = []
    for members in by_kind.values():
        main = _best(members)
        selected.append((main, [c for c in members if c is not main]))
    return selected


def _label(capability: Capability) -> str:
    return clean_text(capability.label or capability.name, MAX_LABEL) or "this setting"


def _values(capability: Capability) -> str:
    values = [clean_text(value, MAX_VALUE) for value in capability.values[:4]]
    values = [value for value in values if value]
    return ", ".join(values) or "single, double, hold"


def _related(main: _Candidate, others: list[_Candidate]) -> str:
    """Return a sentence naming the other capabilities of the main one's kind."""
    if main.kind is None:
        return ""
    names: list[str] = []
    main_entity = main.link.entity_id if main.link else None
    for other in others:
        if other.link is not None and other.link.entity_id != main_entity:
            name = clean_text(other.link.entity_id, MAX_ENTITY_ID)
        elif other.capability.endpoint:
            endpoint = clean_text(other.capability.endpoint, MAX_VALUE)
            name = f"{_label(other.capability)} ({endpoint})"
        else:
            name = _label(other.capability)
        if name not in names:
            names.append(name)
    if not names:
        return ""
    shown = ", ".join(names[:MAX_RELATED])
    if len(names) > MAX_RELATED:
        shown += f" and {len(names) - MAX_RELATED} more"
    return f" Related: {shown}."


def _state_phrase(reason: Reason, entity: str | None) -> str:
    return {
        Reason.NO_ENTITY: "but Home Assistant has no entity for it",
        Reason.ENTITY_DISABLED: f"but its entity {entity} is disabled",
        Reason.NOT_REFERENCED: "but no automation, script or scene uses it yet",
        Reason.DEFAULT_SETTING: "and this setting is still at its default",
    }[reason]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _hint(kind: FeatureKind | None) -> str:
    """Return what to change, for a setting."""
    return kind.setting_hint if kind else "check that its value suits you"


def _start(kind: FeatureKind | None, entity: str | None) -> str:
    """Return the first step with the entity (or "its entity") filled in."""
    template = (
        kind.start
        if kind
        else f"add an automation that uses {{entity}} {AUTOMATION_PLACE}"
    )
    return template.format(entity=entity or "its entity")


def _how_to_start(candidate: _Candidate, name: str, label: str) -> str:
    """Return the exact first step for this capability, in this state."""
    kind = candidate.kind
    link = candidate.link
    entity = clean_text(link.entity_id, MAX_ENTITY_ID) if link else None
    if kind is not None and kind.device_trigger:
        values = [clean_text(v, MAX_VALUE) for v in candidate.capability.values]
        value = next((v for v in values if v), "single")
        text = (
            "Add an automation with a device trigger (Settings > Automations & "
            f'scenes > Create automation > Add trigger > Device): device "{name}", '
            f'trigger "{value}". Use it once first so Home Assistant knows its '
            "actions."
        )
        if link is not None and not link.disabled:
            text += f" A state trigger on {entity} works too."
        return text
    if link is None:
        if _is_setting(candidate.capability, kind):
            return (
                f'Open "{name}" in the Zigbee2MQTT frontend, tab Exposes, and change '
                f'"{label}": {_hint(kind)}.'
            )
        return (
            f'Home Assistant has no entity for "{label}": check that Zigbee2MQTT\'s '
            f'Home Assistant discovery is on for "{name}" (Zigbee2MQTT frontend > '
            f"Settings > Home Assistant integration), then {_start(kind, None)}."
        )
    enable = f"Enable {entity} {ENTITY_PLACE}, open it, Settings, Enabled), then"
    if _is_setting(candidate.capability, kind):
        if link.disabled:
            return f"{enable} change it: {_hint(kind)}."
        return f"Change {entity} {ENTITY_PLACE}): {_hint(kind)}."
    if link.disabled:
        return f"{enable} {_start(kind, entity)}."
    return f"{_sentence(_start(kind, entity))}."


@dataclass(frozen=True, slots=True)
class _DeviceWords:
    """The cleaned names of one device, shared by all of its suggestions."""

    name: str
    model: str
    area: str | None
    friendly_name: str

    @classmethod
    def of(cls, device: ZigbeeDevice, usage: DeviceUsage) -> _DeviceWords:
        area = clean_text(usage.area, MAX_NAME) if usage.area else None
        return cls(
            name=clean_text(device.friendly_name, MAX_NAME)
            or clean_text(device.ieee_address, MAX_NAME),
            model=clean_text(device.display_model, MAX_NAME) or "Zigbee device",
            area=area or None,
            friendly_name=clean_text(device.friendly_name, MAX_FRIENDLY_NAME),
        )


def _word(
    device: ZigbeeDevice,
    words: _DeviceWords,
    main: _Candidate,
    others: list[_Candidate],
) -> UnusedCapability:
    """Return the suggestion for the main candidate of a kind."""
    capability = main.capability
    kind = main.kind
    name, model, area = words.name, words.model, words.area
    entity = clean_text(main.link.entity_id, MAX_ENTITY_ID) if main.link else None
    label = _label(capability)
    if kind is not None:
        can = kind.can
        benefit = kind.benefit.replace("{values}", _values(capability))
    else:
        can = f'{"set" if capability.settable else "report"} "{label}"'
        detail = clean_text(capability.description or "", MAX_DETAIL)
        benefit = (
            f'Zigbee2MQTT describes it as: "{detail}"'
            if detail
            else "It may be worth a look."
        )
    if area:
        where = f" {area}" if area.lower().startswith("the ") else f" the {area}"
        title = f"Your {model} in{where} can {can}"
    elif name.casefold() != model.casefold():
        title = f'Your {model} "{name}" can {can}'
    else:
        title = f"Your {model} can {can}"
    description = (
        f'"{name}" ({model}) can {can}, {_state_phrase(main.reason, entity)}. '
        f"{benefit}{_related(main, others)}"
    )
    return UnusedCapability(
        opportunity_id=f"{device.ieee_address}/{capability.key}",
        ieee_address=device.ieee_address,
        friendly_name=words.friendly_name,
        device_model=model,
        area=area,
        capability_key=capability.key,
        property_name=capability.property_name,
        feature_kind=main.kind_key,
        reason=main.reason.value,
        entity_id=main.link.entity_id if main.link else None,
        title=title,
        description=description,
        how_to_start=_how_to_start(main, name, label),
        gain=main.gain,
        ease=main.ease,
        score=main.score,
    )


def judge_device(
    device: ZigbeeDevice, usage: DeviceUsage, plans: Plans | None = None
) -> list[UnusedCapability]:
    """Return the device's unused capabilities worth a suggestion, unranked.

    `plans` lets the devices of one judgement share what depends on their
    definitions alone.
    """
    if not _judged(device):
        return []
    candidates, used_kinds = _candidates(device, usage, plans)
    selected = _select(candidates, used_kinds)
    if not selected:
        return []
    words = _DeviceWords.of(device, usage)
    return [_word(device, words, main, others) for main, others in selected]


def find_unused_capabilities(
    devices: Iterable[ZigbeeDevice],
    usage: Mapping[str, DeviceUsage],
    previous: Iterable[UnusedCapability] = (),
) -> list[UnusedCapability]:
    """Return the unused capabilities worth a suggestion, ranked best first.

    Ranked by score (descending), then by `opportunity_id`, so equal scores keep a
    stable order. See the module docstring for the rules. A finding equal to one
    of `previous` (the last judgement's) is returned as that object.
    """
    return run_to_end(judge_steps(devices, usage, previous))


def judge_steps(
    devices: Iterable[ZigbeeDevice],
    usage: Mapping[str, DeviceUsage],
    previous: Iterable[UnusedCapability] = (),
) -> Steps[list[UnusedCapability]]:
    """Do `find_unused_capabilities` one step per device, for `steps.Slices`.

    Judgements repeat, mostly with the same outcome: keeping the last one's
    objects, rather than their new equals, leaves the garbage collector nothing
    new to carry into its oldest generation (see `DeviceUsage`).
    """
    known = {finding.opportunity_id: finding for finding in previous}
    plans: Plans = {}
    found: list[UnusedCapability] = []
    for device in devices:
        device_usage = usage.get(device.ieee_address, NO_USAGE)
        for finding in judge_device(device, device_usage, plans):
            same = known.get(finding.opportunity_id)
            found.append(same if same == finding else finding)
        yield
    # Two stable sorts with C key functions rank 14,000 findings in half the time
    # of one sort on a tuple key; the step is one stretch without a pause.
    found.sort(key=attrgetter("opportunity_id"))
    found.sort(key=attrgetter("score"), reverse=True)
    return found
