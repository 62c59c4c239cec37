"""MQTT topic rules: prefixes a user may configure, slug segments and event paths.

Topics are built from names that come from devices, teams and users. A `+`, `#` or
`/` in such a name would turn a topic into a wildcard or move it to another branch of
the tree, so every name is reduced to a slug before it becomes a topic segment.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

MAX_PREFIX_LENGTH = 100
MAX_SEGMENT_LENGTH = 64
MAX_EVENT_PATH_SEGMENTS = 8
FALLBACK_SEGMENT = "unknown"

# Where each moment of the household is announced, under the namespace: the
# morning, bedtime and absence as they begin (keyed by the moment's kind).
HOUSEHOLD_EVENT_PATHS: dict[str, tuple[str, ...]] = {
    "morning_routine": ("events", "pattern", "morning_routine_detected"),
    "bedtime": ("events", "pattern", "bedtime_detected"),
    "away": ("events", "pattern", "away_from_home"),
    "back_home": ("events", "pattern", "back_home"),
}

_SLUG_SEGMENT = re.compile(r"^[a-z0-9_-]+$")
_NOT_SLUG_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


class TopicError(StrEnum):
    """Why a topic prefix or path was refused; the values are translation keys."""

    EMPTY = "topic_empty"
    WILDCARD = "topic_wildcard"
    EDGE_SLASH = "topic_edge_slash"
    EMPTY_SEGMENT = "topic_empty_segment"
    INVALID_CHARACTER = "topic_invalid_character"
    TOO_LONG = "topic_too_long"
    RESERVED = "topic_reserved"
    NOT_SLUG = "topic_not_slug"
    TOO_DEEP = "topic_too_deep"


def validate_topic_prefix(prefix: str) -> TopicError | None:
    """Return why `prefix` cannot be a topic prefix, or None when it can."""
    if not prefix:
        return TopicError.EMPTY
    if len(prefix) > MAX_PREFIX_LENGTH:
        return TopicError.TOO_LONG
    if "+" in prefix or "#" in prefix:
        return TopicError.WILDCARD
    if prefix.startswith("/") or prefix.endswith("/"):
        return TopicError.EDGE_SLASH
    if "" in prefix.split("/"):
        return TopicError.EMPTY_SEGMENT
    if prefix.startswith("$"):
        # Topics starting with `$` belong to the broker ($SYS).
        return TopicError.RESERVED
    if any(char == "\x00" or unicodedata.category(char) == "Cc" for char in prefix):
        return TopicError.INVALID_CHARACTER
    return None


def prefixes_overlap(first: str, second: str) -> bool:
    """Tell whether one prefix's topics would fall inside the other's tree."""
    first_segments = first.split("/")
    second_segments = second.split("/")
    shortest = min(len(first_segments), len(second_segments))
    return first_segments[:shortest] == second_segments[:shortest]


def overlapping_prefixes(prefixes: dict[str, str]) -> set[str]:
    """Return the keys of prefixes that overlap another prefix of the mapping."""
    keys = list(prefixes)
    overlapping: set[str] = set()
    for index, key in enumerate(keys):
        for other in keys[index + 1 :]:
            if prefixes_overlap(prefixes[key], prefixes[other]):
                overlapping.update((key, other))
    return overlapping


def slugify_segment(name: object) -> str:
    """Turn any name into one safe topic segment: lower case, `[a-z0-9_-]`.

    Accents are folded to ASCII, every other run of characters becomes `_`, and a
    name with nothing left becomes `unknown`, so a segment is never empty.
    """
    text = unicodedata.normalize("NFKD", str(name))
    ascii_text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG_CHARACTERS.sub("_", ascii_text).strip("_-")
    slug = slug[:MAX_SEGMENT_LENGTH].strip("_-")
    return slug or FALLBACK_SEGMENT


def validate_event_path(path: str) -> TopicError | None:
    """Return why `path` cannot name a user's event topic, or None when it can.

    Unlike names from devices, a path is typed by the user, so it is refused rather
    than silently rewritten: the user learns which topic their automation targets.
    """
    error = validate_topic_prefix(path)
    if error is not None:
        return error
    segments = path.split("/")
    if len(segments) > MAX_EVENT_PATH_SEGMENTS:
        return TopicError.TOO_DEEP
    if not all(_SLUG_SEGMENT.match(segment) for segment in segments):
        return TopicError.NOT_SLUG
    return None


def join_topic(*parts: str) -> str:
    """Join a prefix and segments into a topic, ignoring empty parts."""
    return "/".join(part for part in parts if part)
