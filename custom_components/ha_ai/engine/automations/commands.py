"""Deploy and remove commands that outside programs send over MQTT.

Anyone who can publish to the broker can send one, so a command is trusted only
when it is signed with the secret the user was shown in the options (HMAC-SHA256
over the canonical JSON of the payload without its `signature`), current (its
`timestamp` plus `ttl` has not passed, and it is not from the future) and new (its
`event_id` was not accepted before). Nothing in the payload is believed before
the signature is checked; ids are read earlier only to say which command was
refused. What a valid command asks for still goes through the same validation
and safety rules as any automation HA AI writes.

Parsing is total: whatever bytes arrive, `parse_command` returns a command or
raises `CommandRefused`, so every message gets an answer. Text that is not
Unicode (a lone surrogate, which a JSON escape can make), numbers that are not
finite, and structures too large or deep are refused before anything else
looks at them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, NoReturn

import yaml

from .ids import is_automation_id, is_message_id
from .replay import Distrust, ReplayGuard

DEFAULT_MAX_BYTES: Final = 64 * 1024
MAX_TTL: Final = 86_400
MAX_CLOCK_AHEAD: Final = timedelta(minutes=5)
MAX_AUTOMATION_NODES: Final = 5_000
MAX_AUTOMATION_DEPTH: Final = 32
# The whole command: the automation's bounds plus the few envelope fields.
MAX_COMMAND_NODES: Final = MAX_AUTOMATION_NODES + 100
MAX_COMMAND_DEPTH: Final = MAX_AUTOMATION_DEPTH + 2
_SIGNATURE_LENGTH: Final = 2 * hashlib.sha256().digest_size
_PLAIN_VALUES: Final = (str, int, float, bool, type(None))


class CommandKind(StrEnum):
    """What a command asks for (the last segment of its topic)."""

    DEPLOY = "deploy"
    REMOVE = "remove"


class RefusalCode(StrEnum):
    """Why a command was refused, as the `failed` response names it."""

    OVERSIZED = "oversized"
    INVALID_JSON = "invalid_json"
    INVALID = "invalid"
    NO_SECRET = "no_secret"  # noqa: S105 - a reason code, not a secret
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    FUTURE = "future"
    REPLAYED = "replayed"
    # The record of accepted commands was damaged: a command issued before the
    # damage was found might be a replay, and cannot be told from a new one.
    REPLAY_UNKNOWN = "replay_unknown"


class CommandRefused(Exception):  # noqa: N818 - a refusal, not a failure
    """A command that is not carried out, with the ids it named if they are sane."""

    def __init__(
        self,
        reason: RefusalCode,
        message: str,
        *,
        automation_id: str | None = None,
        suggestion_id: str | None = None,
        event_id: str | None = None,
    ) -> None:
        """Keep the reason code, the message and whichever ids are known."""
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.automation_id = automation_id
        self.suggestion_id = suggestion_id
        self.event_id = event_id


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployCommand:
    """Write `automation` (with id `automation_id`), replacing one of that id."""

    event_id: str
    timestamp: datetime
    ttl: int
    automation_id: str
    automation: dict[str, Any]
    suggestion_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveCommand:
    """Remove the automation with id `automation_id`."""

    event_id: str
    timestamp: datetime
    ttl: int
    automation_id: str
    suggestion_id: str | None = None


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """Return the bytes a signature covers: the payload without `signature`.

    Raises ValueError (UnicodeEncodeError) for text that is not Unicode, such as
    a lone surrogate: no sender can sign it, and `parse_command` refuses such
    commands before it gets here.
    """
    unsigned = {key: value for key, value in payload.items() if key != "signature"}
    return json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _signature(payload: Mapping[str, Any], secret: str) -> str:
    return hmac.new(
        secret.encode(), canonical_json(payload), hashlib.sha256
    ).hexdigest()


def sign_command(payload: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """Return the payload with its `signature` (any old one is replaced)."""
    if not secret:
        raise ValueError("signing needs a secret")
    signed = {key: value for key, value in payload.items() if key != "signature"}
    signed["signature"] = _signature(signed, secret)
    return signed


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _decode(payload: bytes | str, max_bytes: int) -> dict[str, Any]:
    try:
        raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    except (UnicodeError, TypeError) as err:
        raise CommandRefused(
            RefusalCode.INVALID_JSON, "the command is not UTF-8 text"
        ) from err
    if len(raw) > max_bytes:
        raise CommandRefused(
            RefusalCode.OVERSIZED,
            f"the command has {len(raw)} bytes, more than the {max_bytes} allowed",
        )
    try:
        message = json.loads(
            raw.decode(), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (ValueError, RecursionError) as err:
        raise CommandRefused(
            RefusalCode.INVALID_JSON, f"the command is not valid JSON ({err})"
        ) from err
    if not isinstance(message, dict):
        raise CommandRefused(
            RefusalCode.INVALID,
            f"the command is JSON {type(message).__name__}, not an object",
        )
    return message


class _Refuser:
    """Raises refusals that carry the ids the command named, when they are sane."""

    def __init__(self, message: Mapping[str, Any]) -> None:
        automation_id = message.get("automation_id")
        suggestion_id = message.get("suggestion_id")
        event_id = message.get("event_id")
        self.automation_id = automation_id if is_automation_id(automation_id) else None
        self.suggestion_id = suggestion_id if is_message_id(suggestion_id) else None
        self.event_id = event_id if is_message_id(event_id) else None

    def __call__(self, reason: RefusalCode, message: str) -> NoReturn:
        raise CommandRefused(
            reason,
            message,
            automation_id=self.automation_id,
            suggestion_id=self.suggestion_id,
            event_id=self.event_id,
        )


def _is_unicode(text: str) -> bool:
    """Return whether `text` can be encoded (no lone surrogate in it)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_values(  # noqa: C901 - one walk, one branch per kind of value
    value: object,
    refuse: _Refuser,
    *,
    what: str,
    max_nodes: int,
    max_depth: int,
) -> None:
    """Refuse a value too big or deep to handle, or holding odd values.

    Walks without recursion. Keys must be text; values text, finite numbers,
    booleans, null, lists and mappings; every text real Unicode.
    """
    pending: list[tuple[object, int]] = [(value, 0)]
    nodes = 0
    while pending:
        item, depth = pending.pop()
        nodes += 1
        if nodes > max_nodes or depth > max_depth:
            refuse(
                RefusalCode.INVALID,
                f"{what} is too large (more than {max_nodes} values or "
                f"{max_depth} levels)",
            )
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    refuse(RefusalCode.INVALID, f"{what}'s keys must be text")
                if not _is_unicode(key):
                    refuse(RefusalCode.INVALID, f"{what} has a key that is not Unicode")
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if not _is_unicode(item):
                refuse(
                    RefusalCode.INVALID,
                    f"{what} holds text that is not Unicode (a lone surrogate)",
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                refuse(RefusalCode.INVALID, f"{what} holds a number that is not finite")
        elif not isinstance(item, _PLAIN_VALUES):
            refuse(
                RefusalCode.INVALID,
                f"{what} may hold only text, numbers, booleans, lists "
                f"and mappings, not {type(item).__name__}",
            )


def _check_signature(message: Mapping[str, Any], secret: str, refuse: _Refuser) -> None:
    if not secret:
        refuse(
            RefusalCode.NO_SECRET,
            "no secret is set for remote deploy; create one in the options",
        )
    signature = message.get("signature")
    if signature is None or signature == "":
        refuse(RefusalCode.UNSIGNED, "the command has no signature")
    if not isinstance(signature, str) or len(signature) != _SIGNATURE_LENGTH:
        refuse(
            RefusalCode.BAD_SIGNATURE,
            f"the signature must be {_SIGNATURE_LENGTH} hexadecimal digits",
        )
    expected = _signature(message, secret)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        refuse(
            RefusalCode.BAD_SIGNATURE,
            "the signature does not match (wrong secret, or the command was changed)",
        )


def _timestamp(message: Mapping[str, Any], refuse: _Refuser) -> datetime:
    raw = message.get("timestamp")
    try:
        if not isinstance(raw, str):
            raise TypeError  # noqa: TRY301 - refused below like a bad text
        timestamp = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        refuse(RefusalCode.INVALID, "timestamp must be an ISO 8601 time")
    if timestamp.tzinfo is None:
        refuse(RefusalCode.INVALID, "timestamp must have a timezone")
    return timestamp


def _ttl(message: Mapping[str, Any], refuse: _Refuser) -> int:
    ttl = message.get("ttl")
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL:
        refuse(
            RefusalCode.INVALID,
            f"ttl must be a whole number of seconds from 1 to {MAX_TTL}",
        )
    return ttl


def _check_time(
    timestamp: datetime, ttl: int, now: datetime, refuse: _Refuser
) -> datetime:
    """Return when the command expires, or refuse it when it is not current."""
    if timestamp > now + MAX_CLOCK_AHEAD:
        refuse(
            RefusalCode.FUTURE,
            f"the timestamp is more than {MAX_CLOCK_AHEAD.seconds // 60} minutes "
            "ahead of this clock",
        )
    # No overflow: a timestamp that near the end of time was refused just above.
    expires_at = timestamp + timedelta(seconds=ttl)
    if now > expires_at:
        refuse(RefusalCode.EXPIRED, f"the command expired at {expires_at.isoformat()}")
    return expires_at


def _automation(message: Mapping[str, Any], refuse: _Refuser) -> dict[str, Any]:
    automation = message.get("automation")
    if isinstance(automation, str):
        try:
            automation = yaml.safe_load(automation)
        except Exception as err:  # noqa: BLE001 - PyYAML's constructors raise anything
            # Besides YAMLError: ValueError for `2001-13-01`, AttributeError for
            # `!!timestamp x`, RecursionError for deep nesting, and so on.
            refuse(
                RefusalCode.INVALID,
                f"the automation is not valid YAML ({type(err).__name__}: {err})",
            )
    if not isinstance(automation, dict):
        refuse(
            RefusalCode.INVALID,
            "automation must be a mapping, or YAML text of one, "
            f"not {type(automation).__name__}",
        )
    # YAML aliases can make a small text into a huge or endless structure, and
    # YAML tags into values (dates, sets, bytes) no automation is made of.
    _check_values(
        automation,
        refuse,
        what="the automation",
        max_nodes=MAX_AUTOMATION_NODES,
        max_depth=MAX_AUTOMATION_DEPTH,
    )
    own_id = automation.get("id")
    if own_id is not None and (
        not isinstance(own_id, str | int) or str(own_id) != message["automation_id"]
    ):
        refuse(
            RefusalCode.INVALID,
            "the automation's own id differs from automation_id",
        )
    return automation


def _ids(message: Mapping[str, Any], refuse: _Refuser) -> tuple[str, str | None]:
    automation_id = message.get("automation_id")
    if not is_automation_id(automation_id):
        refuse(
            RefusalCode.INVALID,
            "automation_id must be 1 to 100 characters of A-Z, a-z, 0-9, _, . and -",
        )
    suggestion_id = message.get("suggestion_id")
    if suggestion_id is not None and not is_message_id(suggestion_id):
        refuse(
            RefusalCode.INVALID,
            "suggestion_id must be 1 to 100 characters of A-Z, a-z, 0-9, _, ., : and -",
        )
    return automation_id, suggestion_id


def parse_command(  # noqa: PLR0913 - the checks need all of these
    kind: CommandKind | str,
    payload: bytes | str,
    *,
    secret: str | None,
    now: datetime,
    replay_guard: ReplayGuard,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DeployCommand | RemoveCommand:
    """Return the command in `payload`, or raise CommandRefused saying why not.

    `kind` comes from the topic the payload arrived on. An accepted command's
    `event_id` is remembered in `replay_guard`, so the same command is refused
    the next time. Raises ValueError for an unknown `kind` or a naive `now`.
    """
    kind = CommandKind(kind)
    if now.tzinfo is None:
        raise ValueError("commands are checked against a timezone-aware time")
    message = _decode(payload, max_bytes)
    refuse = _Refuser(message)
    # Before the signature: canonical JSON cannot even be made of text that is
    # not Unicode, and no valid command is this large.
    _check_values(
        message,
        refuse,
        what="the command",
        max_nodes=MAX_COMMAND_NODES,
        max_depth=MAX_COMMAND_DEPTH,
    )
    _check_signature(message, secret or "", refuse)
    event_id = message.get("event_id")
    if not is_message_id(event_id):
        refuse(
            RefusalCode.INVALID,
            "event_id must be 1 to 100 characters of A-Z, a-z, 0-9, _, ., : and -",
        )
    timestamp = _timestamp(message, refuse)
    ttl = _ttl(message, refuse)
    expires_at = _check_time(timestamp, ttl, now, refuse)
    if replay_guard.seen(event_id, now):
        refuse(
            RefusalCode.REPLAYED,
            f"a command with event_id {event_id} was already accepted",
        )
    if (cutoff := replay_guard.distrusted(timestamp, now)) is not None:
        refuse(
            RefusalCode.REPLAY_UNKNOWN,
            "HA AI cannot tell this command from a replay (its record of accepted "
            "commands was damaged or full); commands issued up to "
            f"{cutoff.isoformat()} are refused; send it again with a new "
            "event_id and timestamp",
        )
    automation_id, suggestion_id = _ids(message, refuse)
    command: DeployCommand | RemoveCommand
    if kind is CommandKind.DEPLOY:
        command = DeployCommand(
            event_id=event_id,
            timestamp=timestamp,
            ttl=ttl,
            automation_id=automation_id,
            automation=_automation(message, refuse),
            suggestion_id=suggestion_id,
        )
    else:
        if "automation" in message:
            # Signed deploy commands must not double as removals of the same id.
            refuse(RefusalCode.INVALID, "a remove command carries no automation")
        command = RemoveCommand(
            event_id=event_id,
            timestamp=timestamp,
            ttl=ttl,
            automation_id=automation_id,
            suggestion_id=suggestion_id,
        )
    replay_guard.remember(event_id, expires_at, now, issued_at=timestamp)
    return command


def distrust_earlier_commands(replay_guard: ReplayGuard, now: datetime) -> Distrust:
    """Refuse every command that could have been accepted before `now`.

    For a replay guard whose record was lost or damaged: a command accepted
    earlier was issued at most `MAX_CLOCK_AHEAD` after the moment it arrived, so
    refusing all issued up to `now + MAX_CLOCK_AHEAD` refuses every replay. The
    refusal ends when all of them have expired anyway.
    """
    issued_until = now + MAX_CLOCK_AHEAD
    return replay_guard.distrust(
        issued_until, until=issued_until + timedelta(seconds=MAX_TTL)
    )
