"""Inbound checks: size, JSON, object shape, expiry, text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.ha_ai.engine.inbound import (
    NotAnArrayError,
    Rejection,
    decode_text,
    iter_json_array,
    parse_json_object,
)

NOW = datetime(2026, 11, 23, 6, 0, 0, tzinfo=UTC)


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
