"""Bound the size of a whole automation before anything else looks at it.

An automation with `variables` nested 300 levels deep passed the old check (which
looked only at actions) and then made the suggestion store fail to save. Every
later walk recurses, and every store and log writes the config out, so the
entire config (triggers, conditions, variables, data: everything) is measured
first, without recursion and with a bounded amount of work: its nesting depth,
its number of values, the length of each text and of all of them, and that it
holds only what JSON can hold (YAML's dates, sets or objects and non-finite
numbers cannot be written back the same).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

MAX_NESTING: Final = 48  # mappings and lists inside one another
MAX_NODES: Final = 2_000  # values of every kind, mappings and lists included
MAX_STRING_LENGTH: Final = 5_000
MAX_TOTAL_TEXT: Final = 50_000

_SCALARS: Final = (str, bool, int, float, type(None))


def size_problem(config: object) -> str | None:
    """Return why `config` is too big or of a kind JSON cannot hold, or None.

    Visits at most `MAX_NODES` values, so a recursive YAML alias or a billion
    laughs ends as soon as the budget does. Never raises.
    """
    stack: list[tuple[object, int]] = [(config, 1)]
    nodes = 0
    text = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"the automation has more than {MAX_NODES} values"
        if isinstance(node, str):
            text += len(node)
            problem = _text_problem(node, text)
        elif isinstance(node, Mapping | list):
            problem = _container_problem(node, depth)
            if problem is None:
                children = (
                    [*node, *node.values()] if isinstance(node, Mapping) else node
                )
                stack.extend((child, depth + 1) for child in children)
        else:
            problem = _scalar_problem(node)
        if problem is not None:
            return problem
    return None


def _text_problem(text: str, total: int) -> str | None:
    if len(text) > MAX_STRING_LENGTH:
        return f"a text is longer than {MAX_STRING_LENGTH} characters"
    if total > MAX_TOTAL_TEXT:
        return f"the automation holds more than {MAX_TOTAL_TEXT} characters"
    return None


def _container_problem(
    node: Mapping[object, object] | list[object], depth: int
) -> str | None:
    if depth > MAX_NESTING:
        return f"the automation is nested more than {MAX_NESTING} levels deep"
    if len(node) > MAX_NODES:
        return f"the automation has more than {MAX_NODES} values"
    if isinstance(node, Mapping) and not all(isinstance(key, str) for key in node):
        return "a key is not text"
    return None


def _scalar_problem(node: object) -> str | None:
    if isinstance(node, float) and not math.isfinite(node):
        return "a number is not finite"
    if not isinstance(node, _SCALARS):
        return f"a value is a {type(node).__name__}, which JSON cannot hold"
    return None
