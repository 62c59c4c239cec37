"""Camera keys: readable for plain ids, hashed for the rest, never shared."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.cameras.keys import (
    CameraKeys,
    KeyTakenError,
    candidate_keys,
    hashed_key,
    is_camera_key,
    legacy_key,
    readable_key,
)

# Ids an attacker tried: scripts without Latin letters, a path, MQTT wildcards.
NON_LATIN_IDS = ("кухня", "日本", "كاميرا", "../..", "+", "#", "Καλημέρα")


@pytest.mark.parametrize(
    ("camera_id", "key"),
    [
        ("front_door", "front_door"),
        ("Front Door", "front_door"),
        ("garage-2", "garage-2"),
        ("12345", "12345"),
        ("café", "cafe"),
        ("cam:01", "cam_01"),
    ],
)
def test_plain_ids_keep_their_readable_slug(camera_id: str, key: str) -> None:
    assert readable_key(camera_id) == key
    assert next(candidate_keys(camera_id)) == key
    assert legacy_key(camera_id) == key  # the key such ids always had


@pytest.mark.parametrize(
    ("camera_id", "start"),
    [
        ("кухня", "kukhnya_"),
        ("Καλημέρα", "kalimera_"),
        ("Ёлка й", "elka_y_"),
        ("日本", "camera_"),
        ("كاميرا", "camera_"),
        ("../..", "camera_"),
        ("+", "camera_"),
        ("#", "camera_"),
        ("a/b", "a_b_"),
        ("../../etc/passwd", "etc_passwd_"),
    ],
)
def test_other_ids_are_transliterated_and_hashed(camera_id: str, start: str) -> None:
    assert readable_key(camera_id) is None
    key = next(candidate_keys(camera_id))
    assert key.startswith(start)
    assert len(key) == len(start) + 8
    assert key == hashed_key(camera_id)
    assert is_camera_key(key)


def test_non_latin_ids_that_all_became_unknown_get_distinct_keys() -> None:
    assert {legacy_key(camera_id) for camera_id in NON_LATIN_IDS} == {"unknown"}
    keys = {next(candidate_keys(camera_id)) for camera_id in NON_LATIN_IDS}
    assert len(keys) == len(NON_LATIN_IDS)


def test_a_hashed_key_is_stable_and_longer_hashes_follow() -> None:
    assert hashed_key("кухня") == hashed_key("кухня")
    keys = list(candidate_keys("кухня"))
    assert [len(key.rsplit("_", 1)[1]) for key in keys] == [8, 16, 32]
    assert list(candidate_keys("Front Door"))[1:] == [
        hashed_key("Front Door", length) for length in (8, 16, 32)
    ]


@pytest.mark.parametrize(
    "key",
    ["", "a/b", "a+b", "#", "_a", "a-", "A", "a" * 65, "kü", None, 5],
)
def test_unsafe_keys_are_refused(key: object) -> None:
    assert not is_camera_key(key)


def test_ids_that_slug_alike_are_kept_apart() -> None:
    keys = CameraKeys()
    first, blocked = keys.propose("Front Door")
    assert (first, blocked) == ("front_door", None)
    assert keys.hold("Front Door", first)
    second, blocked = keys.propose("front_door")
    assert second == hashed_key("front_door")
    assert blocked == "Front Door"
    assert keys.hold("front_door", second)
    # Each id keeps its key; asking again changes nothing.
    assert keys.propose("Front Door") == ("front_door", None)
    assert keys.propose("front_door") == (second, None)
    assert keys.id_of("front_door") == "Front Door"
    assert keys.key_of("front_door") == second
    assert len(keys) == 2


def test_a_key_is_never_held_twice_and_a_released_key_is_free() -> None:
    keys = CameraKeys()
    assert keys.hold("a", "a")
    assert keys.hold("a", "a")  # the same again: fine
    assert not keys.hold("b", "a")  # held by another id
    assert not keys.hold("a", "other")  # an id holds one key
    assert not keys.hold("c", "Not/Safe")
    keys.release("a")
    keys.release("a")  # twice: nothing happens
    assert keys.key_of("a") is None
    assert keys.hold("b", "a")


def test_an_id_whose_every_key_is_held_is_refused() -> None:
    keys = CameraKeys()
    for index, key in enumerate(candidate_keys("кухня")):
        assert keys.hold(f"other{index}", key)
    with pytest.raises(KeyTakenError):
        keys.propose("кухня")


# Properties, with generated ids


@given(st.text(max_size=80))
def test_every_candidate_key_is_a_safe_slug(camera_id: str) -> None:
    for key in candidate_keys(camera_id):
        assert is_camera_key(key), key
        assert len(key) <= 64
        assert not {"/", "+", "#", "."} & set(key)


@given(st.lists(st.text(max_size=40), unique=True, max_size=40))
def test_distinct_ids_get_distinct_keys_whatever_their_order(
    camera_ids: list[str],
) -> None:
    keys = CameraKeys()
    given_keys: dict[str, str] = {}
    for camera_id in camera_ids:
        key, _blocked = keys.propose(camera_id)
        assert keys.hold(camera_id, key)
        given_keys[camera_id] = key
    assert len(set(given_keys.values())) == len(camera_ids)
    for camera_id, key in given_keys.items():
        assert keys.propose(camera_id) == (key, None)  # stable
        assert is_camera_key(key)


@given(st.text(max_size=40), st.text(max_size=40))
def test_two_ids_never_share_a_hashed_key(first: str, second: str) -> None:
    if first != second:
        assert hashed_key(first) != hashed_key(second)


PLAIN_CHARACTERS = st.characters(categories=["Lu", "Ll", "Nd"]) | st.sampled_from(
    " ._-:"
)


@given(st.text(alphabet=PLAIN_CHARACTERS, max_size=30))
def test_a_readable_key_is_the_old_slug(camera_id: str) -> None:
    readable = readable_key(camera_id)
    if readable is not None:
        assert readable == legacy_key(camera_id)
