"""Remote deploy and remove commands: every way one is accepted or refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from custom_components.ha_ai.engine.automations.commands import (
    CommandKind,
    CommandRefused,
    DeployCommand,
    RefusalCode,
    RemoveCommand,
    canonical_json,
    distrust_earlier_commands,
    parse_command,
    sign_command,
)
from custom_components.ha_ai.engine.automations.replay import ReplayGuard

SECRET = "s3cret-shared-with-the-sender"  # noqa: S105 - a test secret
NOW = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
AUTOMATION = {
    "alias": "Hall light at six",
    "triggers": [{"trigger": "time", "at": "06:00:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.hall"}}],
}


def deploy_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": "evt-1",
        "timestamp": NOW.isoformat(),
        "ttl": 60,
        "automation_id": "ha_ai_hall",
        "automation": AUTOMATION,
        "suggestion_id": "sugg:1",
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def encoded(payload: dict[str, Any], secret: str = SECRET) -> bytes:
    return json.dumps(sign_command(payload, secret)).encode()


def parse(
    payload: bytes | str,
    *,
    kind: str = "deploy",
    guard: ReplayGuard | None = None,
    now: datetime = NOW,
    secret: str | None = SECRET,
    max_bytes: int = 64 * 1024,
) -> DeployCommand | RemoveCommand:
    return parse_command(
        kind,
        payload,
        secret=secret,
        now=now,
        replay_guard=ReplayGuard() if guard is None else guard,
        max_bytes=max_bytes,
    )


def refused(payload: bytes | str, **kwargs: Any) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        parse(payload, **kwargs)
    return caught.value


def test_deploy_with_a_mapping() -> None:
    command = parse(encoded(deploy_payload()))
    assert command == DeployCommand(
        event_id="evt-1",
        timestamp=NOW,
        ttl=60,
        automation_id="ha_ai_hall",
        automation=AUTOMATION,
        suggestion_id="sugg:1",
    )


def test_deploy_with_yaml_text_and_its_own_id() -> None:
    text = (
        "id: ha_ai_hall\nalias: Hall light at six\n"
        "triggers:\n  - trigger: time\n    at: '06:00:00'\n"
        "actions:\n  - action: light.turn_on\n    target: {entity_id: light.hall}\n"
    )
    command = parse(encoded(deploy_payload(automation=text, suggestion_id=None)))
    assert isinstance(command, DeployCommand)
    assert command.automation == {"id": "ha_ai_hall", **AUTOMATION}
    assert command.suggestion_id is None


def test_remove() -> None:
    payload = deploy_payload(automation=None)
    command = parse(encoded(payload), kind=CommandKind.REMOVE)
    assert command == RemoveCommand(
        event_id="evt-1",
        timestamp=NOW,
        ttl=60,
        automation_id="ha_ai_hall",
        suggestion_id="sugg:1",
    )


def test_a_deploy_does_not_double_as_a_removal() -> None:
    error = refused(encoded(deploy_payload()), kind="remove")
    assert error.reason is RefusalCode.INVALID
    assert "carries no automation" in error.message


def test_replayed() -> None:
    guard = ReplayGuard()
    payload = encoded(deploy_payload())
    parse(payload, guard=guard)
    error = refused(payload, guard=guard, now=NOW + timedelta(seconds=30))
    assert error.reason is RefusalCode.REPLAYED
    assert (error.event_id, error.automation_id, error.suggestion_id) == (
        "evt-1",
        "ha_ai_hall",
        "sugg:1",
    )
    # The same event id on the other topic is a replay too.
    removal = encoded(deploy_payload(automation=None))
    assert refused(removal, guard=guard, kind="remove").reason is RefusalCode.REPLAYED


def test_a_refused_command_is_not_remembered() -> None:
    guard = ReplayGuard()
    refused(encoded(deploy_payload(automation_id="a/b")), guard=guard)
    assert len(guard) == 0
    parse(encoded(deploy_payload()), guard=guard)
    assert len(guard) == 1


def test_expired_and_just_in_time() -> None:
    payload = encoded(deploy_payload(ttl=60))
    assert parse(payload, now=NOW + timedelta(seconds=60)).event_id == "evt-1"
    error = refused(payload, now=NOW + timedelta(seconds=61))
    assert error.reason is RefusalCode.EXPIRED
    assert "2025-06-02T06:01:00+00:00" in error.message


def test_future() -> None:
    ahead = deploy_payload(timestamp=(NOW + timedelta(minutes=5)).isoformat())
    assert parse(encoded(ahead)).event_id == "evt-1"
    too_far = deploy_payload(timestamp=(NOW + timedelta(minutes=6)).isoformat())
    error = refused(encoded(too_far))
    assert error.reason is RefusalCode.FUTURE
    far_future = deploy_payload(timestamp="9999-12-31T23:59:59-23:59")
    assert refused(encoded(far_future)).reason is RefusalCode.FUTURE


def test_other_timezones_and_z() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert parse(encoded(deploy_payload(timestamp=local))).timestamp == NOW
    zulu = deploy_payload(timestamp="2025-06-02T06:00:00Z")
    assert parse(encoded(zulu)).timestamp == NOW


def test_unsigned() -> None:
    payload = json.dumps(deploy_payload()).encode()
    error = refused(payload)
    assert error.reason is RefusalCode.UNSIGNED
    assert error.automation_id == "ha_ai_hall"
    empty = json.dumps({**deploy_payload(), "signature": ""})
    assert refused(empty).reason is RefusalCode.UNSIGNED


def test_wrong_signature() -> None:
    assert (
        refused(encoded(deploy_payload(), "another secret")).reason
        is RefusalCode.BAD_SIGNATURE
    )
    signed = sign_command(deploy_payload(), SECRET)
    signed["automation_id"] = "ha_ai_other"
    error = refused(json.dumps(signed))
    assert error.reason is RefusalCode.BAD_SIGNATURE
    assert "does not match" in error.message
    assert error.automation_id == "ha_ai_other"


@pytest.mark.parametrize("signature", [12, ["a"], "abc", "z" * 64, "é" * 64])
def test_signature_of_the_wrong_form(signature: Any) -> None:
    payload = json.dumps({**deploy_payload(), "signature": signature})
    assert refused(payload).reason is RefusalCode.BAD_SIGNATURE


def test_upper_case_hex_signature() -> None:
    signed = sign_command(deploy_payload(), SECRET)
    signed["signature"] = signed["signature"].upper()
    assert parse(json.dumps(signed)).event_id == "evt-1"


def test_signature_covers_the_canonical_json() -> None:
    signed = sign_command({"b": "é", "a": [1, 2], "signature": "old"}, SECRET)
    assert canonical_json(signed) == '{"a":[1,2],"b":"é"}'.encode()
    assert signed["signature"] != "old"
    # Whitespace and key order on the wire do not matter.
    wire = json.dumps(sign_command(deploy_payload(), SECRET), indent=4)
    assert parse(wire.encode()).automation_id == "ha_ai_hall"


@pytest.mark.parametrize("secret", [None, ""])
def test_no_secret(secret: str | None) -> None:
    error = refused(encoded(deploy_payload()), secret=secret)
    assert error.reason is RefusalCode.NO_SECRET
    assert error.event_id == "evt-1"
    with pytest.raises(ValueError, match="needs a secret"):
        sign_command(deploy_payload(), "")


def test_oversized() -> None:
    big = deploy_payload(automation={**AUTOMATION, "description": "x" * 70_000})
    error = refused(encoded(big))
    assert error.reason is RefusalCode.OVERSIZED
    assert "65536" in error.message
    small = encoded(deploy_payload())
    assert refused(small, max_bytes=100).reason is RefusalCode.OVERSIZED
    assert refused("é" * 60, max_bytes=100).reason is RefusalCode.OVERSIZED


@pytest.mark.parametrize(
    "payload",
    [b"{", b"", b"\xff\xfe", b'{"ttl": NaN}', b"[" * 50_000, "{'a': 1}"],
)
def test_invalid_json(payload: bytes | str) -> None:
    assert refused(payload).reason is RefusalCode.INVALID_JSON


@pytest.mark.parametrize("payload", [b"[]", b'"deploy"', b"42", b"null"])
def test_not_an_object(payload: bytes) -> None:
    error = refused(payload)
    assert error.reason is RefusalCode.INVALID
    assert "not an object" in error.message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"event_id": None}, "event_id must be"),
        ({"event_id": "a b"}, "event_id must be"),
        ({"event_id": 7}, "event_id must be"),
        ({"timestamp": None}, "timestamp must be an ISO 8601 time"),
        ({"timestamp": 1717308000}, "timestamp must be an ISO 8601 time"),
        ({"timestamp": "yesterday"}, "timestamp must be an ISO 8601 time"),
        ({"timestamp": "2025-06-02T06:00:00"}, "timestamp must have a timezone"),
        ({"ttl": None}, "ttl must be"),
        ({"ttl": 0}, "ttl must be"),
        ({"ttl": 86_401}, "ttl must be"),
        ({"ttl": 30.5}, "ttl must be"),
        ({"ttl": "60"}, "ttl must be"),
        ({"ttl": True}, "ttl must be"),
        ({"automation_id": None}, "automation_id must be"),
        ({"suggestion_id": "a b"}, "suggestion_id must be"),
        ({"suggestion_id": 5}, "suggestion_id must be"),
        ({"automation": None}, "automation must be a mapping"),
        ({"automation": [AUTOMATION]}, "automation must be a mapping"),
        ({"automation": "- a\n- b\n"}, "not list"),
        ({"automation": "just text"}, "not str"),
        ({"automation": "a: [\n"}, "not valid YAML"),
        ({"automation": "at: 2025-06-02\n"}, "not date"),
        ({"automation": "a: !!binary aGk=\n"}, "not bytes"),
        ({"automation": "{1: x}\n"}, "keys must be text"),
        ({"automation": {**AUTOMATION, "id": "other"}}, "own id differs"),
        ({"automation": "[" * 5000 + "]" * 5000}, "not valid YAML"),
    ],
)
def test_missing_or_invalid_fields(changes: dict[str, Any], message: str) -> None:
    error = refused(encoded(deploy_payload(**changes)))
    assert error.reason is RefusalCode.INVALID
    assert message in error.message


def test_alias_bombs_and_deep_automations() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(5):
        name, previous = chr(98 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    bomb = "\n".join(lines)
    error = refused(encoded(deploy_payload(automation=bomb)))
    assert error.reason is RefusalCode.INVALID
    assert "too large" in error.message
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    error = refused(encoded(deploy_payload(automation={"actions": deep})))
    assert "too large" in error.message
    loop = "a: &a [*a]\n"
    assert "too large" in refused(encoded(deploy_payload(automation=loop))).message


@pytest.mark.parametrize(
    "automation_id",
    [
        "",
        "../automations",
        "a/b",
        "a b",
        "a\nb",
        "x" * 101,
        "ha_ai_hall\n",
        "١٢٣",  # digits, but not ASCII ones
        "light.hall+#",
        "{{ x }}",
        12,
        ["a"],
    ],
)
def test_hostile_automation_ids(automation_id: Any) -> None:
    error = refused(encoded(deploy_payload(automation_id=automation_id)))
    assert error.reason is RefusalCode.INVALID
    assert "automation_id must be" in error.message
    assert error.automation_id is None
    assert error.event_id == "evt-1"


def test_longest_automation_id() -> None:
    command = parse(
        encoded(deploy_payload(automation_id="a" * 100, automation=None)), kind="remove"
    )
    assert command.automation_id == "a" * 100


def test_unknown_kind_and_naive_now() -> None:
    with pytest.raises(ValueError, match="list"):
        parse(encoded(deploy_payload()), kind="list")
    with pytest.raises(ValueError, match="timezone-aware"):
        parse(encoded(deploy_payload()), now=NOW.replace(tzinfo=None))


def test_refusal_is_an_exception_with_its_message() -> None:
    error = CommandRefused(RefusalCode.EXPIRED, "too late", automation_id="a")
    assert str(error) == "too late"
    assert (error.reason, error.automation_id, error.suggestion_id, error.event_id) == (
        RefusalCode.EXPIRED,
        "a",
        None,
        None,
    )


# Lone surrogates: a JSON escape such as "\ud800" makes text that is not Unicode.
# Such a command cannot be signed; it is refused before the signature, naming
# the event it came from when its event_id is sane.


def _unsigned_text(payload: dict[str, Any]) -> bytes:
    """The payload as a sender's JSON (escapes for anything not ASCII)."""
    return json.dumps({**payload, "signature": "0" * 64}).encode()


@pytest.mark.parametrize(
    ("changes", "event_id"),
    [
        ({"event_id": "evt-\ud800"}, None),
        ({"automation": {**AUTOMATION, "alias": "Hall \ud800"}}, "evt-1"),
        (
            {"automation": {**AUTOMATION, "actions": [{"data": {"x": ["\udfff"]}}]}},
            "evt-1",
        ),
        ({"automation": {**AUTOMATION, "\ud800key": 1}}, "evt-1"),
        ({"\udc00": "top level key"}, "evt-1"),
        ({"signature_hint": "\ud800\udfff\ud800"}, "evt-1"),
    ],
    ids=["event_id", "alias", "nested_value", "key", "top_level_key", "mixed"],
)
def test_lone_surrogate_in_a_command_is_refused_not_raised(
    changes: dict[str, Any], event_id: str | None
) -> None:
    error = refused(_unsigned_text(deploy_payload(**changes)))
    assert error.reason is RefusalCode.INVALID
    assert "not Unicode" in error.message
    assert error.event_id == event_id


def test_lone_surrogate_made_by_yaml_in_a_signed_command_is_refused() -> None:
    # The JSON is plain Unicode (and signed); YAML's own escape makes the surrogate.
    text = 'alias: "Hall \\ud800"\ntriggers: []\nactions: []\n'
    error = refused(encoded(deploy_payload(automation=text)))
    assert error.reason is RefusalCode.INVALID
    assert "not Unicode" in error.message
    assert (error.event_id, error.automation_id) == ("evt-1", "ha_ai_hall")


def test_canonical_json_of_a_lone_surrogate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        canonical_json({"a": "\ud800"})


def test_a_str_payload_with_a_lone_surrogate_is_refused() -> None:
    assert refused('{"a": "\ud800"}').reason is RefusalCode.INVALID_JSON


@pytest.mark.parametrize(
    "payload",
    [b'{"ttl": 1e999}', b'{"ttl": -1e400}', b'{"ttl": ' + b"9" * 5000 + b"}"],
    ids=["infinity", "minus_infinity", "too_many_digits"],
)
def test_huge_numbers_are_refused_as_invalid_json(payload: bytes) -> None:
    assert refused(payload).reason is RefusalCode.INVALID_JSON


@pytest.mark.parametrize(
    ("automation", "words"),
    [
        ("a: 2001-13-01\n", "ValueError"),
        ("a: !!timestamp x\n", "AttributeError"),
        ("a: !!float x\n", "ValueError"),
        ("a: " + "1" * 5000 + "\n", "ValueError"),
        ("a: .inf\n", "not finite"),
        ("a: !!set {x}\n", "not set"),
    ],
)
def test_yaml_that_breaks_its_constructors_is_refused(
    automation: str, words: str
) -> None:
    error = refused(encoded(deploy_payload(automation=automation)))
    assert error.reason is RefusalCode.INVALID
    assert words in error.message
    assert error.event_id == "evt-1"


def test_a_whole_command_too_deep_or_too_large_is_refused_before_the_signature() -> (
    None
):
    deep: Any = 1
    for _ in range(40):
        deep = {"x": deep}
    error = refused(_unsigned_text({**deploy_payload(), "extra": deep}))
    assert error.reason is RefusalCode.INVALID
    assert "too large" in error.message
    wide = _unsigned_text({**deploy_payload(), "extra": [0] * 6000})
    assert "too large" in refused(wide).message


def test_own_id_of_another_type_is_refused() -> None:
    error = refused(encoded(deploy_payload(automation={**AUTOMATION, "id": [1]})))
    assert "own id differs" in error.message
    numeric = deploy_payload(automation_id="42", automation={**AUTOMATION, "id": 42})
    assert parse(encoded(numeric)).automation_id == "42"


def test_bytes_like_payloads_are_read() -> None:
    assert parse(bytearray(encoded(deploy_payload()))).event_id == "evt-1"
    assert refused(memoryview(b"{")).reason is RefusalCode.INVALID_JSON


# The replay guard's record was damaged: earlier commands are distrusted.


def test_commands_issued_before_a_damaged_record_are_refused() -> None:
    guard = ReplayGuard()
    distrust = distrust_earlier_commands(guard, NOW)
    assert distrust.issued_until == NOW + timedelta(minutes=5)
    assert distrust.until == NOW + timedelta(minutes=5, days=1)
    error = refused(encoded(deploy_payload()), guard=guard)
    assert error.reason is RefusalCode.REPLAY_UNKNOWN
    assert error.event_id == "evt-1"
    assert "2025-06-02T06:05:00+00:00" in error.message
    later = NOW + timedelta(minutes=6)
    fresh = deploy_payload(event_id="evt-2", timestamp=later.isoformat())
    assert parse(encoded(fresh), guard=guard, now=later).event_id == "evt-2"
    assert len(guard) == 1
