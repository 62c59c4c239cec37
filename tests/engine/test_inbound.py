"""Inbound checks: size, JSON, object shape, expiry, text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.inbound import (
    MAX_JSON_DEPTH,
    MAX_REASON,
    NotAnArrayError,
    Rejection,
    TooDeepError,
    decode_text,
    iter_json_array,
    json_nesting,
    json_nesting_steps,
    parse_json_object,
)
from custom_components.ha_ai.engine.zigbee.steps import run_to_end

NOW = datetime(2026, 11, 23, 6, 0, 0, tzinfo=UTC)


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=5), children, max_size=4
    )


def _depth(document: object) -> int:
    """Nesting of a small generated document (recursion is fine here)."""
    if isinstance(document, list):
        return 1 + max((_depth(item) for item in document), default=0)
    if isinstance(document, dict):
        return 1 + max((_depth(item) for item in document.values()), default=0)
    return 0


def test_valid_object_is_returned() -> None:
    assert parse_json_object(b'{"a": 1}', max_bytes=100, now=NOW) == {"a": 1}
    assert parse_json_object('{"a": "é"}', max_bytes=100, now=NOW) == {"a": "é"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "JSON list, not an object"),
        (b'"online"', "JSON str, not an object"),
        (b'{"expires_at": "2026-11-23T05:59:59+00:00"}', "expired"),
        (b'{"expires_at": "soon"}', "invalid expires_at"),
        (b" " * 101, "exceeds the 100 byte limit"),
    ],
)
def test_rejections_say_why(payload: bytes, reason: str) -> None:
    result = parse_json_object(payload, max_bytes=100, now=NOW)
    assert isinstance(result, Rejection)
    assert reason in result.reason


def test_unexpired_message_passes() -> None:
    payload = b'{"expires_at": "2026-11-23T06:00:01+00:00"}'
    assert isinstance(parse_json_object(payload, max_bytes=100, now=NOW), dict)


def test_text() -> None:
    assert decode_text(b" online\n", max_bytes=10) == "online"
    assert decode_text("offline", max_bytes=10) == "offline"
    too_big = decode_text(b"x" * 11, max_bytes=10)
    assert isinstance(too_big, Rejection)
    assert "exceeds" in too_big.reason
    not_text = decode_text(b"\xff", max_bytes=10)
    assert isinstance(not_text, Rejection)
    assert "UTF-8" in not_text.reason


def test_iter_json_array_yields_elements_one_at_a_time() -> None:
    payload = b' \n[ {"a": 1} , [2, {"b": "],["}] ,"x",3 ]\n'
    items = iter_json_array(payload)
    assert next(items) == {"a": 1}
    assert list(items) == [[2, {"b": "],["}], "x", 3]
    assert list(iter_json_array(b"[]")) == []
    assert list(iter_json_array(b"[ ]  ")) == []


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b'{"a": 1}', NotAnArrayError),
        (b"42", NotAnArrayError),
        (b"", NotAnArrayError),
        (b"[1, 2", ValueError),
        (b"[1 2]", ValueError),
        (b"[1,]", ValueError),
        (b"[1] [2]", ValueError),
        (b"[\xff]", ValueError),
    ],
)
def test_iter_json_array_refuses_what_is_not_an_array(
    payload: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        list(iter_json_array(payload))


# --- nesting, measured before anything recursive runs ----------------------------


def deep_array(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_a_deeply_nested_array_is_refused_before_decoding() -> None:
    payload = b"[" + deep_array(100_000) + b"]"
    with pytest.raises(TooDeepError, match="100001 levels deep"):
        list(iter_json_array(payload))
    # Without the check (the caller measured already) the decoder would recurse.
    assert json_nesting(payload) == 100_001


def test_a_deeply_nested_object_is_rejected_with_a_reason() -> None:
    payload = b'{"a": ' + deep_array(5_000) + b"}"
    result = parse_json_object(payload, max_bytes=100_000, now=NOW)
    assert result == Rejection(
        "payload: the document nests 5001 levels deep (the limit is 64)"
    )


def test_nesting_at_the_limit_passes() -> None:
    payload = b'{"a": ' + deep_array(MAX_JSON_DEPTH - 1) + b"}"
    assert isinstance(parse_json_object(payload, max_bytes=1000, now=NOW), dict)
    assert list(iter_json_array(deep_array(MAX_JSON_DEPTH))) == [
        json.loads(deep_array(MAX_JSON_DEPTH - 1))
    ]


@pytest.mark.parametrize(
    ("payload", "depth"),
    [
        (b"1", 0),
        (b'"[[[["', 0),
        (b"[]", 1),
        (b'{"a": [{"b": "]]]]"}]}', 3),
        (b'["\\"[[[", [[]]]', 3),
        (b'["\\\\", [[]]]', 3),
        (b'["\\\\\\"[", {"k\\"{": [{}]}]', 4),
        (b'["\\u005b", "\\n["]', 1),
    ],
)
def test_brackets_inside_strings_do_not_nest(payload: bytes, depth: int) -> None:
    json.loads(payload)
    assert json_nesting(payload) == depth
    assert json_nesting(payload.decode()) == depth


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64])
def test_nesting_is_the_same_whatever_the_chunks(chunk_size: int) -> None:
    payload = b'{"a":"x\\\\\\"[[[","b":[[[1, "\\\\"]]], "c": "]]"}'
    assert json.loads(payload)["a"] == 'x\\"[[['
    assert run_to_end(json_nesting_steps(payload, chunk_size)) == 4


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.recursive(
        st.none() | st.text(max_size=8) | st.integers(), _containers, max_leaves=20
    )
)
def test_nesting_matches_the_decoded_document(document: object) -> None:
    payload = json.dumps(document).encode()
    assert json_nesting(payload) == _depth(document)
    assert run_to_end(json_nesting_steps(payload, 3)) == _depth(document)


def test_a_string_payload_with_a_lone_surrogate_is_rejected_not_raised() -> None:
    result = parse_json_object('{"a": "\ud800"}', max_bytes=100, now=NOW)
    assert isinstance(result, Rejection)
    result.reason.encode()


# --- reasons fit for a log line --------------------------------------------------


def test_a_rejection_reason_is_one_safe_bounded_line() -> None:
    forged = "x\n2026-12-01 06:07:00 ERROR (MainThread) [homeassistant.core] boom"
    reason = Rejection(f"camera {forged * 20}").reason
    assert "\n" not in reason
    assert len(reason) <= MAX_REASON
    assert Rejection(reason).reason == reason


def test_an_expired_message_quotes_its_expiry_safely() -> None:
    payload = orjson.dumps({"expires_at": "soon\n\u202eERROR"})
    result = parse_json_object(payload, max_bytes=100, now=NOW)
    assert isinstance(result, Rejection)
    assert "\n" not in result.reason
    assert "\u202e" not in result.reason
