"""The one module that talks MQTT for HA AI, through Home Assistant's mqtt integration.

It owns the `ha-ai/` namespace: it builds topics from slug-safe segments, wraps every
event in the envelope, publishes with the configured QoS, keeps publishes made while
the broker is away in a bounded queue and sends them in order on reconnect, keeps
`<prefix>/status` retained, republishes retained state when Home Assistant's birth
message says `online`, and checks every inbound message before a handler sees it.
No other module calls `mqtt.async_publish` or `mqtt.async_subscribe` directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import orjson
from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .const import (
    DEFAULT_BIRTH_TOPIC,
    LOGGER,
    MAX_INBOUND_PAYLOAD_BYTES,
    STATUS_PUBLISH_TIMEOUT,
)
from .engine.envelope import build_envelope
from .engine.inbound import Rejection, decode_text, parse_json_object
from .engine.outbound_queue import OutboundQueue, QueuedMessage
from .engine.topics import join_topic, slugify_segment
from .listeners import Listeners

STATUS_ONLINE = "online"
STATUS_OFFLINE = "offline"

type JsonHandler = Callable[[str, dict[str, Any]], None]
type TextHandler = Callable[[str, str], None]
type RawHandler = Callable[[str, bytes], None]


@dataclass(frozen=True, slots=True)
class BusSettings:
    """What the bus needs from the config entry's options."""

    namespace_prefix: str
    qos: int
    message_ttl: int
    queue_size: int


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """What a caller learns about an event it handed to the bus."""

    event_id: str
    topic: str
    queued: bool


@dataclass(slots=True)
class BusStatistics:
    """Counters since the entry was loaded, for entities and diagnostics."""

    messages_published: int = 0
    publish_errors: int = 0
    messages_dropped_expired: int = 0
    messages_dropped_overflow: int = 0
    messages_received: int = 0
    messages_rejected: int = 0


class MqttBus:
    """Publishes and receives HA AI's MQTT messages through Home Assistant's client."""

    def __init__(self, hass: HomeAssistant, settings: BusSettings) -> None:
        """Prepare the bus; nothing touches MQTT before `async_start`."""
        self.hass = hass
        self.settings = settings
        self.statistics = BusStatistics()
        self._queue = OutboundQueue(settings.queue_size)
        self._retained: dict[str, str] = {}
        self._unsubscribers: list[CALLBACK_TYPE] = []
        self._listeners = Listeners()
        self._flush_task: asyncio.Task[None] | None = None
        self._connected = False

    # Life cycle

    async def async_start(self) -> None:
        """Subscribe to the connection state and birth message, and go online.

        Nothing here waits on the broker: the `online` status and any queued
        events go out from background tasks.
        """
        self._connected = mqtt.is_connected(self.hass)
        self._unsubscribers.append(
            mqtt.async_subscribe_connection_status(
                self.hass, self._async_connection_changed
            )
        )
        await self.async_subscribe_text(_birth_topic(self.hass), self._async_birth)
        self.async_set_retained(self.topic("status"), STATUS_ONLINE)

    async def async_stop(self) -> None:
        """Publish `offline`, then remove every subscription, listener and task."""
        if self._flush_task is not None:
            self._flush_task.cancel()
            self._flush_task = None
        status_topic = self.topic("status")
        self._retained.pop(status_topic, None)
        if self._connected:
            try:
                async with asyncio.timeout(STATUS_PUBLISH_TIMEOUT):
                    await self._async_publish_now(
                        status_topic, STATUS_OFFLINE, retain=True
                    )
            except TimeoutError:
                LOGGER.warning("The broker did not take the offline status in time")
        while self._unsubscribers:
            self._unsubscribers.pop()()
        self._listeners.clear()

    # State for entities and diagnostics

    @property
    def connected(self) -> bool:
        """Return whether Home Assistant's MQTT client is connected to the broker."""
        return self._connected

    @property
    def queued_messages(self) -> int:
        """Return how many events wait for the broker."""
        return len(self._queue)

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the bus's state and counters for the diagnostics download."""
        return {
            "connected": self._connected,
            "queued_messages": self.queued_messages,
            "retained_topics": sorted(self._retained),
            "subscriptions": len(self._unsubscribers),
            "statistics": asdict(self.statistics),
            "settings": asdict(self.settings),
        }

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever the connection state or a counter changes."""
        return self._listeners.async_add(listener)

    @callback
    def _async_notify(self) -> None:
        queue = self._queue
        self.statistics.messages_dropped_expired = queue.dropped_expired
        self.statistics.messages_dropped_overflow = queue.dropped_overflow
        self._listeners.async_notify()

    # Publishing

    def topic(self, *segments: str) -> str:
        """Return the namespace topic for `segments`, each reduced to a slug."""
        slugs = [slugify_segment(segment) for segment in segments]
        return join_topic(self.settings.namespace_prefix, *slugs)

    @callback
    def async_publish_event(
        self,
        segments: Sequence[str],
        fields: Mapping[str, Any],
        *,
        ttl: int | None = None,
    ) -> PublishedEvent:
        """Queue an event for publishing under the namespace and return its id.

        The event goes out as soon as the broker is connected, after every event
        queued before it, so events always arrive in the order they happened.
        """
        now = dt_util.now()
        message = build_envelope(fields, now=now, ttl=ttl or self.settings.message_ttl)
        topic = self.topic(*segments)
        queued = QueuedMessage(
            topic=topic,
            payload=orjson.dumps(message).decode(),
            qos=self.settings.qos,
            expires_at=now + timedelta(seconds=message["ttl"]),
        )
        self._queue.put(queued, now)
        self._async_start_flush()
        self._async_notify()
        return PublishedEvent(
            event_id=message["event_id"], topic=topic, queued=not self._connected
        )

    @callback
    def async_set_retained(self, topic: str, payload: str) -> None:
        """Keep `payload` retained on `topic`: published now and on every rebirth."""
        self._retained[topic] = payload
        if self._connected:
            self._async_republish(topic)

    @callback
    def _async_republish(self, topic: str | None = None) -> None:
        topics = [topic] if topic is not None else list(self._retained)
        for retained_topic in topics:
            self.hass.async_create_background_task(
                self._async_publish_now(
                    retained_topic, self._retained[retained_topic], retain=True
                ),
                f"ha_ai publish {retained_topic}",
            )

    async def _async_publish_now(
        self, topic: str, payload: str, *, retain: bool
    ) -> bool:
        """Publish one message; count it, and return whether the broker took it."""
        try:
            await mqtt.async_publish(
                self.hass, topic, payload, self.settings.qos, retain
            )
        except HomeAssistantError as err:
            self.statistics.publish_errors += 1
            LOGGER.warning("Publishing to %s failed: %s", topic, err)
            self._async_notify()
            return False
        self.statistics.messages_published += 1
        self._async_notify()
        return True

    @callback
    def _async_start_flush(self) -> None:
        """Start sending the queue, unless a flush is already under way."""
        if not self._connected or not len(self._queue):
            return
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = self.hass.async_create_background_task(
                self._async_flush(), "ha_ai mqtt flush"
            )

    async def _async_flush(self) -> None:
        """Send queued events one by one, in order, while the broker is connected.

        Each publish waits for the broker's acknowledgement before the next, so the
        order holds even when the link drops in the middle of a flush.
        """
        while self._connected and (message := self._queue.pop(dt_util.now())):
            self._async_notify()
            if await self._async_publish_now(
                message.topic, message.payload, retain=False
            ):
                continue
            if not mqtt.is_connected(self.hass):
                # The link dropped under us: send it again after the reconnect.
                self._queue.put_back(message)
                break
        self._async_notify()

    @callback
    def _async_connection_changed(self, connected: bool) -> None:  # noqa: FBT001
        self._connected = connected
        if connected:
            LOGGER.debug(
                "MQTT connected; sending %s queued events", self.queued_messages
            )
            self._async_republish()
            self._async_start_flush()
        else:
            LOGGER.info(
                "MQTT disconnected; events are queued (at most %s) until it is back",
                self.settings.queue_size,
            )
        self._async_notify()

    # Receiving

    async def async_subscribe_json(
        self,
        topic: str,
        handler: JsonHandler,
        *,
        max_bytes: int = MAX_INBOUND_PAYLOAD_BYTES,
    ) -> None:
        """Call `handler(topic, object)` for each valid, unexpired JSON object.

        Oversized, malformed and expired messages are dropped with a debug log line;
        the handler only ever sees a dict. The subscription ends with `async_stop`.
        """

        @callback
        def on_message(message: mqtt.ReceiveMessage) -> None:
            parsed = parse_json_object(
                message.payload, max_bytes=max_bytes, now=dt_util.now()
            )
            if (accepted := self._accepted(message.topic, parsed)) is not None:
                handler(message.topic, accepted)

        await self._async_subscribe(topic, on_message)

    async def async_subscribe_text(
        self,
        topic: str,
        handler: TextHandler,
        *,
        max_bytes: int = MAX_INBOUND_PAYLOAD_BYTES,
    ) -> None:
        """Call `handler(topic, text)` for each plain-text message of a sane size."""

        @callback
        def on_message(message: mqtt.ReceiveMessage) -> None:
            text = decode_text(message.payload, max_bytes=max_bytes)
            if (accepted := self._accepted(message.topic, text)) is not None:
                handler(message.topic, accepted)

        await self._async_subscribe(topic, on_message)

    async def async_subscribe_raw(self, topic: str, handler: RawHandler) -> None:
        """Call `handler(topic, payload)` with the undecoded bytes of each message.

        For subscribers that route many topics (a `#` filter) and check each kind of
        message themselves, with the engine's `inbound` helpers and their own limits.
        """

        @callback
        def on_message(message: mqtt.ReceiveMessage) -> None:
            self.statistics.messages_received += 1
            payload = message.payload
            handler(
                message.topic,
                payload if isinstance(payload, bytes) else str(payload).encode(),
            )

        await self._async_subscribe(topic, on_message)

    @callback
    def async_count_rejected(self, topic: str, reason: str) -> None:
        """Count a message a raw subscriber dropped, with the debug line saying why."""
        self.statistics.messages_rejected += 1
        LOGGER.debug("Dropped a message on %s: %s", topic, reason)

    async def _async_subscribe(
        self, topic: str, on_message: Callable[[mqtt.ReceiveMessage], None]
    ) -> None:
        self._unsubscribers.append(
            await mqtt.async_subscribe(
                self.hass, topic, on_message, self.settings.qos, encoding=None
            )
        )

    def _accepted[T](self, topic: str, parsed: T | Rejection) -> T | None:
        """Count an inbound message; log why it was dropped and return None if so."""
        self.statistics.messages_received += 1
        if isinstance(parsed, Rejection):
            self.async_count_rejected(topic, parsed.reason)
            return None
        return parsed

    @callback
    def _async_birth(self, topic: str, payload: str) -> None:
        if payload == STATUS_ONLINE:
            LOGGER.debug("Home Assistant birth message on %s: republishing", topic)
            self._async_republish()


def _birth_topic(hass: HomeAssistant) -> str:
    """Return the birth topic the mqtt entry is configured with."""
    for entry in hass.config_entries.async_entries(mqtt.DOMAIN):
        birth = entry.data.get(mqtt.CONF_BIRTH_MESSAGE) or entry.options.get(
            mqtt.CONF_BIRTH_MESSAGE
        )
        if isinstance(birth, Mapping) and isinstance(birth.get("topic"), str):
            return str(birth["topic"])
    return DEFAULT_BIRTH_TOPIC
