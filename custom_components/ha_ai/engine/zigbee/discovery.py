"""Recognises Zigbee2MQTT by the `bridge/info` message it keeps on the broker.

Home Assistant offers to set HA AI up when such a message appears (MQTT discovery,
see the manifest). The offer is only as good as this check: any client may publish
on `<something>/bridge/info`, so the message must look like Zigbee2MQTT's own, and
the base topic comes from where it was published, not from what it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ..inbound import Rejection, parse_json_object

BRIDGE_INFO_SUFFIX: Final = "/bridge/info"
# Zigbee2MQTT's versions: `1.42.0`, `2.1.3`, `2.1.3-dev`. The version is shown on
# the set-up dialog, so nothing but a plain version passes.
_VERSION: Final = re.compile(r"\d{1,4}\.\d{1,4}[0-9A-Za-z.+-]{0,40}")
# The fields every Zigbee2MQTT bridge info carries, with the JSON type they have.
_OBJECT_FIELDS: Final = ("coordinator", "config")


@dataclass(frozen=True, slots=True)
class DiscoveredBridge:
    """A Zigbee2MQTT bridge found on the broker."""

    base_topic: str
    version: str


def discovered_bridge(
    topic: str, payload: bytes | bytearray | str, *, max_bytes: int, now: datetime
) -> DiscoveredBridge | Rejection:
    """Return the bridge that published `payload` on `topic`, or why it is none.

    The base topic is what precedes `/bridge/info`; whether it suits HA AI (no
    overlap with HA AI's own prefixes, for one) is the settings' check, not this one.
    """
    if not topic.endswith(BRIDGE_INFO_SUFFIX):
        return Rejection(f"the topic does not end with {BRIDGE_INFO_SUFFIX}")
    if isinstance(payload, bytearray):
        payload = bytes(payload)
    info = parse_json_object(payload, max_bytes=max_bytes, now=now)
    if isinstance(info, Rejection):
        return info
    version = info.get("version")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        return Rejection(f"it has no Zigbee2MQTT version (version is {version!r})")
    for field in _OBJECT_FIELDS:
        if not isinstance(info.get(field), dict):
            return Rejection(f"its {field} is not an object")
    return DiscoveredBridge(
        base_topic=topic.removesuffix(BRIDGE_INFO_SUFFIX), version=version
    )
