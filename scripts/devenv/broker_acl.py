"""A locked-down mosquitto: no anonymous clients, a password file, an ACL per user.

The least-privilege setup the README recommends, made concrete so a test can run
HA AI under it: Home Assistant's MQTT user reads exactly what Home Assistant and
HA AI read and writes only what they write; Zigbee2MQTT, the AI camera
classifier, an outside deployer of automations and an outside listener each get
their own user with their own topics. ``home_assistant_acl`` is the snippet the
README shows; ``refuse_namespace`` leaves out HA AI's write line, to see what HA
AI does when the broker refuses its publishes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pwd
import shutil
from collections.abc import Sequence
from pathlib import Path

from .common import DevEnvError

# (ACL line, why it is there); a line of None is a comment on its own.
type AclLines = tuple[tuple[str, str | None], ...]


@dataclasses.dataclass(frozen=True)
class BrokerUser:
    """A user of the broker: its name, password and ACL lines."""

    name: str
    password: str
    acl: AclLines


def home_assistant_acl(
    *,
    discovery: str = "homeassistant",
    zigbee: str = "zigbee2mqtt",
    cameras: str = "liveobject",
    namespace: str = "ha-ai",
    refuse_namespace: bool = False,
) -> AclLines:
    """Return the ACL of Home Assistant's MQTT user, with HA AI inside it.

    Home Assistant reads MQTT discovery and the Zigbee2MQTT states, writes its
    birth and last will and the `/set` commands of the devices it controls; HA
    AI reads the Zigbee2MQTT base topic, the camera topics, Home Assistant's
    birth, its own command topics and its probe, and writes its namespace.
    """
    lines: list[tuple[str, str | None]] = [
        (f"topic read {discovery}/#", "MQTT discovery; Home Assistant's birth"),
        (f"topic write {discovery}/status", "Home Assistant's birth and last will"),
        (f"topic read {zigbee}/#", "Zigbee2MQTT: device states, bridge/devices"),
        (f"topic write {zigbee}/+/set", "switching the Zigbee devices"),
        (f"topic write {zigbee}/+/+/set", "... named with one '/', or endpoints"),
        (f"topic read {cameras}/camera/+/event", "AI camera events"),
        (f"topic read {cameras}/camera/+/status", "AI camera status"),
        (f"topic read {cameras}/status", "the classifier's availability"),
        (f"topic read {namespace}/commands/automation/deploy", "remote deploy"),
        (f"topic read {namespace}/commands/automation/remove", "remote remove"),
        (f"topic read {namespace}/probe", "HA AI's check that its writes pass"),
    ]
    if not refuse_namespace:
        lines.append((f"topic write {namespace}/#", "everything HA AI publishes"))
    return tuple(lines)


def deployer_acl(namespace: str = "ha-ai") -> AclLines:
    """Return the ACL of an outside program that deploys automations via HA AI."""
    return (
        (f"topic write {namespace}/commands/automation/deploy", None),
        (f"topic write {namespace}/commands/automation/remove", None),
        (f"topic read {namespace}/responses/automation/#", "the answers"),
    )


def zigbee2mqtt_acl(
    base: str = "zigbee2mqtt", discovery: str = "homeassistant"
) -> AclLines:
    """Return the ACL of Zigbee2MQTT: its base topic and its discovery messages."""
    return (
        (f"topic readwrite {base}/#", None),
        (f"topic write {discovery}/#", "its MQTT discovery messages"),
        (f"topic read {discovery}/status", "to send them again on a restart"),
    )


def camera_acl(cameras: str = "liveobject") -> AclLines:
    """Return the ACL of the AI camera classifier."""
    return ((f"topic write {cameras}/#", None),)


def listener_acl(namespace: str = "ha-ai") -> AclLines:
    """Return the ACL of an outside program that follows HA AI's events."""
    return ((f"topic read {namespace}/#", None),)


def acl_text(users: Sequence[BrokerUser]) -> str:
    """Return mosquitto's ACL file for ``users``, each line after its reason.

    mosquitto reads a comment only on a line of its own.
    """
    blocks = []
    for user in users:
        lines = [f"user {user.name}"]
        for line, why in user.acl:
            lines += [f"# {why}", line] if why else [line]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


async def write_password_file(path: Path, users: Sequence[BrokerUser]) -> None:
    """Write mosquitto's password file with ``mosquitto_passwd -b`` (hashed)."""
    program = shutil.which("mosquitto_passwd")
    if program is None:
        msg = "mosquitto_passwd is not installed (Debian's mosquitto package)"
        raise DevEnvError(msg)
    path.unlink(missing_ok=True)
    for number, user in enumerate(users):
        create = ("-c",) if number == 0 else ()
        process = await asyncio.create_subprocess_exec(
            program,
            *create,
            "-b",
            str(path),
            user.name,
            user.password,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        if process.returncode != 0:
            msg = f"mosquitto_passwd failed for {user.name}: {err.decode().strip()}"
            raise DevEnvError(msg)
    path.chmod(0o600)


async def locked_down_config(directory: Path, users: Sequence[BrokerUser]) -> str:
    """Write the password and ACL files; return the lines of mosquitto.conf."""
    password_file = directory / "passwords"
    acl_file = directory / "acl"
    await write_password_file(password_file, users)
    acl_file.write_text(acl_text(users), encoding="utf-8")
    acl_file.chmod(0o600)
    # Started as root, mosquitto changes to its own user before it reads the
    # password file, which that user may not reach: run as whoever starts it
    # (for a user other than root the line changes nothing).
    return (
        "allow_anonymous false\n"
        f"password_file {password_file}\n"
        f"acl_file {acl_file}\n"
        f"user {_current_user()}\n"
    )


def _current_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name
