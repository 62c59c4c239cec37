"""What walking an automation found: services, templates, variables, problems.

The walks of actions (`walk.py`) and of triggers and conditions (`triggers.py`)
fill one `Walk`; the safety check (`safety.py`) judges it. Each part of the
config is put in exactly one of these boxes, so that nothing goes unjudged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from .templates import RESERVED_NAMES, is_template

MAX_PROBLEMS: Final = 20
MAX_TEXT: Final = 100  # of a name quoted back in a message

# Keys that name what a step or trigger acts on or listens to.
TARGET_KEYS: Final = ("entity_id", "device_id", "area_id", "floor_id", "label_id")
# Keys Home Assistant never renders as templates: free text for people.
TEXT_KEYS: Final = frozenset({"alias", "description"})
_NOT_TARGETS: Final = frozenset({"all", "none"})
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class ProblemKind(StrEnum):
    """Why a part of an automation is refused (the safety check's reasons)."""

    MALFORMED = "malformed"  # not the shape of an automation, or too big
    UNKNOWN = "unknown"  # a kind of step, trigger or condition, or key, not allowed
    FORBIDDEN = "forbidden"  # known, and never allowed (events, webhooks, ...)
    TEMPLATED = "templated"  # what it acts on is a template, so cannot be checked
    TARGET = "target"  # `all` or `none` instead of named entities


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
class ServiceData:
    """What one service call sends, target included, when all of it is written out.

    Home Assistant checks a call's data against the service's schema only when
    the call is made; with this, an automation whose data the service would
    refuse is refused before it is written, not at each run.
    """

    service: str  # the lower case `domain.service`
    path: str  # where the call is (`actions[0].action`)
    data: Mapping[object, object]  # data and target merged, as the call sends them


@dataclass(frozen=True, slots=True)
class Problem:
    """Where the automation is refused, why (in words) and of which kind."""

    path: str
    message: str
    kind: ProblemKind = ProblemKind.MALFORMED


@dataclass(frozen=True, slots=True)
class FoundTemplate:
    """A template string and where it is; judged by `templates.template_problem`."""

    path: str
    text: str


@dataclass(slots=True)
class Walk:
    """What walking an automation found."""

    calls: list[CalledService] = field(default_factory=list)
    service_data: list[ServiceData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    templates: list[FoundTemplate] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    steps: int = 0
    refused_paths: set[str] = field(default_factory=set)

    def refuse(
        self, path: str, message: str, kind: ProblemKind = ProblemKind.MALFORMED
    ) -> None:
        """Record a problem: one per path, at most `MAX_PROBLEMS` in all."""
        if path in self.refused_paths:
            return
        self.refused_paths.add(path)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message, kind))

    def unknown_keys(
        self, node: Mapping[object, object], allowed: frozenset[str], path: str
    ) -> None:
        """Refuse every key of `node` that is not in `allowed`."""
        for key in node:
            if key not in allowed:
                self.refuse(
                    join(path, shorten(key)),
                    f"the key {shorten(key)!r} is not allowed here",
                    ProblemKind.UNKNOWN,
                )

    def values(self, value: object, path: str) -> None:
        """Find every template in a free-form value (data, variables, ...)."""
        for text, where in strings(value, path):
            if is_template(text) and where not in self.refused_paths:
                self.templates.append(FoundTemplate(where, text))

    def targets(self, node: Mapping[object, object], path: str) -> None:
        """Check the target keys of `node`: written out, never `all` or `none`."""
        for key in TARGET_KEYS:
            if key in node:
                self.ids(node[key], join(path, key), key)

    def ids(self, value: object, path: str, key: str) -> None:
        """Check one target value (a text, a comma list, or a list of texts)."""
        items = (
            [(item, f"{path}[{index}]") for index, item in enumerate(value)]
            if isinstance(value, list)
            else [(value, path)]
        )
        for item, where in items:
            if not isinstance(item, str):
                self.refuse(where, f"{key} must be text, not {type(item).__name__}")
            elif is_template(item):
                self.refuse(
                    where,
                    f"{key} is a template, so what it acts on cannot be checked; "
                    "name it written out",
                    ProblemKind.TEMPLATED,
                )
            elif _NOT_TARGETS & {part.strip().lower() for part in item.split(",")}:
                self.refuse(
                    where,
                    f"{key} '{shorten(item)}' acts on everything or nothing; name "
                    "each one written out",
                    ProblemKind.TARGET,
                )

    def define(self, names: object, path: str) -> None:
        """Record the variables a mapping defines, and their values' templates."""
        if not isinstance(names, Mapping):
            self.refuse(path, "variables must be a mapping")
            return
        for name, value in names.items():
            if isinstance(name, str) and name in RESERVED_NAMES:
                self.refuse(
                    path, f"a variable may not be called {name!r}: that name is taken"
                )
            elif isinstance(name, str) and _VARIABLE_NAME.fullmatch(name):
                self.variables.add(name)
            else:
                self.refuse(
                    path, f"{shorten(name)!r} is not a name a variable may have"
                )
            self.values(value, join(path, shorten(name)))


def join(path: str, key: str) -> str:
    """Return the path of `key` inside `path` (`actions[0]` and `target`)."""
    return f"{path}.{key}" if path else key


def shorten(value: object) -> str:
    """Return `value` as bounded text for a message or a path."""
    text = value if isinstance(value, str) else repr(value)
    return text[:MAX_TEXT]


def strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Yield every string in `value` (mapping keys aside) with its path.

    The free text for people of a step, trigger or condition itself (`alias`,
    `description` at the top of `value`) is left out: Home Assistant never
    renders it. Deeper down (service data, variables) every string counts. The
    config's size was bounded before, so this ends soon.
    """
    stack: list[tuple[object, str, bool]] = [(value, path, True)]
    while stack:
        node, where, top = stack.pop()
        if isinstance(node, str):
            yield node, where
        elif isinstance(node, Mapping):
            children = [
                (item, join(where, shorten(key)), False)
                for key, item in node.items()
                if not (top and key in TEXT_KEYS)
            ]
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                reversed(
                    [(item, f"{where}[{i}]", False) for i, item in enumerate(node)]
                )
            )
