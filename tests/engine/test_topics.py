"""Topic rules: prefixes, overlap, slugs and event paths."""

from __future__ import annotations

import pytest

from custom_components.ha_ai.engine.topics import (
    FALLBACK_SEGMENT,
    MAX_SEGMENT_LENGTH,
    TopicError,
    join_topic,
    overlapping_prefixes,
    prefixes_overlap,
    slugify_segment,
    validate_event_path,
    validate_topic_prefix,
)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("ha-ai", None),
        ("home/zigbee2mqtt", None),
        ("Zigbee2MQTT", None),
        ("", TopicError.EMPTY),
        ("a" * 101, TopicError.TOO_LONG),
        ("ha-ai/+", TopicError.WILDCARD),
        ("ha-ai/#", TopicError.WILDCARD),
        ("/ha-ai", TopicError.EDGE_SLASH),
        ("ha-ai/", TopicError.EDGE_SLASH),
        ("ha//ai", TopicError.EMPTY_SEGMENT),
        ("$SYS", TopicError.RESERVED),
        ("ha\x00ai", TopicError.INVALID_CHARACTER),
        ("ha\nai", TopicError.INVALID_CHARACTER),
    ],
)
def test_validate_topic_prefix(prefix: str, expected: TopicError | None) -> None:
    assert validate_topic_prefix(prefix) == expected


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("ha-ai", "ha-ai", True),
        ("ha-ai", "ha-ai/cameras", True),
        ("home/z2m", "home", True),
        ("ha-ai", "ha-ai2", False),
        ("home/z2m", "home/cams", False),
    ],
)
def test_prefixes_overlap(first: str, second: str, overlap: bool) -> None:
    assert prefixes_overlap(first, second) is overlap
    assert prefixes_overlap(second, first) is overlap


def test_overlapping_prefixes_names_every_field_involved() -> None:
    prefixes = {"a": "home", "b": "home/z2m", "c": "cams"}
    assert overlapping_prefixes(prefixes) == {"a", "b"}
    assert overlapping_prefixes({"a": "x", "b": "y"}) == set()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Living Room", "living_room"),
        ("0x00158d0001a2b3c4", "0x00158d0001a2b3c4"),
        ("Café Crème", "cafe_creme"),
        ("a/b+c#d", "a_b_c_d"),
        ("+", FALLBACK_SEGMENT),
        ("", FALLBACK_SEGMENT),
        ("日本", FALLBACK_SEGMENT),
        ("--x--", "x"),
        ("door_sensor-2", "door_sensor-2"),
        (42, "42"),
    ],
)
def test_slugify_segment(name: object, slug: str) -> None:
    assert slugify_segment(name) == slug


def test_slugify_segment_is_bounded_and_always_safe() -> None:
    slug = slugify_segment("x" * 500 + "/#")
    assert len(slug) <= MAX_SEGMENT_LENGTH
    for hostile in ["../../etc", "a\x00b", " ", "#", "+/+", "\u202e evil"]:
        slug = slugify_segment(hostile)
        assert slug
        assert not set(slug) & {"/", "+", "#", "\x00", " "}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("kitchen/coffee_ready", None),
        ("door-bell", None),
        ("a/b/c/d/e/f/g/h", None),
        ("a/b/c/d/e/f/g/h/i", TopicError.TOO_DEEP),
        ("Kitchen", TopicError.NOT_SLUG),
        ("kitchen light", TopicError.NOT_SLUG),
        ("kitchen/+", TopicError.WILDCARD),
        ("/kitchen", TopicError.EDGE_SLASH),
        ("kitchen//light", TopicError.EMPTY_SEGMENT),
        ("", TopicError.EMPTY),
    ],
)
def test_validate_event_path(path: str, expected: TopicError | None) -> None:
    assert validate_event_path(path) == expected


def test_join_topic_skips_empty_parts() -> None:
    assert join_topic("ha-ai", "", "status") == "ha-ai/status"
