"""The one module that talks MQTT for HA AI, through Home Assistant's mqtt integration.

It owns the `ha-ai/` namespace: it builds topics from slug-safe segments, wraps every
event in the envelope, publishes with the configured QoS, keeps `<prefix>/status`
retained, republishes retained state when Home Assistant's birth message says
`online`, and checks every inbound message before a handler sees it. No other module
calls `mqtt.async_publish` or `mqtt.async_subscribe` directly.

Events leave in the order they happened. While the broker acknowledges publishes,
they go out a window at a time from a large queue, so a burst is sent whole; while
the broker is away or stalled (a publish not acknowledged in time), they wait in the
bounded outage queue of the configured size. Nothing is lost silently: every event
dropped (pushed out of a full queue, expired, refused) is counted in the statistics
and logged in a summary line. An event whose publish timed out is sent again when
the broker is back, so delivery is at least once: receivers dedupe by `event_id`.

A broker may also take publishes and pass none of them on (an ACL that refuses HA
AI's writes, which an MQTT 3.1.1 client is never told of): after each connection a
probe on `<prefix>/probe` must come back, or the log and a repair issue say so.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import (
    BIRTH_REPUBLISH_COOLDOWN,
    CONNECTED_QUEUE_SIZE,
    DEFAULT_BIRTH_TOPIC,
    DOMAIN,
    DROP_LOG_INTERVAL,
    LOGGER,
    LOOP_BUSY_SLACK,
    MAX_INBOUND_PAYLOAD_BYTES,
    MAX_QUEUED_CHARACTERS,
    PUBLISH_ACK_TIMEOUT,
    PUBLISH_WINDOW,
    STALL_CHECK_INTERVAL,
    STATUS_PUBLISH_TIMEOUT,
    WRITE_CHECK_DELAY,
    WRITE_CHECK_INTERVAL,
    WRITE_CHECK_PROBES,
    WRITE_CHECK_SEGMENT,
    WRITE_CHECK_TTL,
    WRITE_RECHECK_INTERVAL,
    WRITES_REFUSED_ISSUE,
)
from ..engine.envelope import build_envelope
from ..engine.inbound import Rejection, decode_text, parse_json_object
from ..engine.log_text import log_safe
from ..engine.outbound_queue import DropReason, OutboundQueue, QueuedMessage
from ..engine.topics import join_topic, slugify_segment
from ..signals import ChangeSignal

STATUS_ONLINE = "online"
STATUS_OFFLINE = "offline"
# How many of the topics that lost events a drop summary names.
_SUMMARY_TOPICS = 5

type JsonHandler = Callable[[str, dict[str, Any]], None]
type TextHandler = Callable[[str, str], None]
type RawHandler = Callable[[str, bytes], None]


@dataclass(frozen=True, slots=True)
class BusSettings:
    """What the bus needs from the entry's settings."""

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
    stalls: int = 0


@dataclass(frozen=True, slots=True)
class _InFlight:
    """An event handed to the MQTT client, waiting for the broker's acknowledgement."""

    message: QueuedMessage
    task: asyncio.Task[HomeAssistantError | None]
    deadline: float  # loop time after which the broker counts as stalled


_DROP_WORDING = {
    DropReason.OVERFLOW: "{} pushed out of the full queue (oldest first)",
    DropReason.EXPIRED: "{} expired before the broker took them",
    DropReason.REFUSED: "{} refused by the MQTT client",
    DropReason.UNLOADED: "{} still waiting when HA AI stopped",
}


class _DropReport:
    """Dropped events, logged as one summary line per interval instead of one each.

    The first drop starts the interval; its end logs what was dropped, why, and on
    which topics. Stopping logs what is pending at once, so no drop goes unsaid.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._reasons: Counter[DropReason] = Counter()
        self._topics: Counter[str] = Counter()
        self._last_error: str | None = None
        self._cancel_timer: CALLBACK_TYPE | None = None

    @callback
    def async_add(
        self, message: QueuedMessage, reason: DropReason, error: str | None = None
    ) -> None:
        self._reasons[reason] += 1
        self._topics[message.topic] += 1
        if error is not None:
            self._last_error = error
        if self._cancel_timer is None:
            self._cancel_timer = async_call_later(
                self._hass, DROP_LOG_INTERVAL, self._async_log
            )

    @callback
    def async_stop(self) -> None:
        """Log what is pending now and stop the interval's timer."""
        if self._cancel_timer is not None:
            self._cancel_timer()
        self._async_log()

    @callback
    def _async_log(self, _now: datetime | None = None) -> None:
        self._cancel_timer = None
        if not self._reasons:
            return
        reasons = ", ".join(
            _DROP_WORDING[reason].format(count)
            for reason, count in sorted(self._reasons.items())
        )
        if self._last_error is not None:
            reasons += f" (last error: {self._last_error})"
        topics = ", ".join(
            f"{log_safe(topic)} ({count})"
            for topic, count in self._topics.most_common(_SUMMARY_TOPICS)
        )
        if len(self._topics) > _SUMMARY_TOPICS:
            topics += f" and {len(self._topics) - _SUMMARY_TOPICS} more topics"
        LOGGER.warning(
            "Dropped %s MQTT events: %s; on %s",
            self._reasons.total(),
            reasons,
            topics,
        )
        self._reasons.clear()
        self._topics.clear()
        self._last_error = None


class _WriteCheck:
    """Finds out whether the broker passes HA AI's publishes on; says so if not.

    A broker's ACL can refuse a client's publishes without telling it: mosquitto
    acknowledges a refused publish to an MQTT 3.1.1 client as if it were taken, and
    Home Assistant's client ignores MQTT 5's reason codes. Everything would look
    fine while nothing HA AI publishes reaches anyone. So after each connection a
    small probe goes to a topic HA AI subscribes to. Home Assistant's client sends
    subscriptions after a short cooldown, so the first probe waits a little and a
    few more follow; when none came back, one warning names the ACL lines to add
    and a repair issue stays until a later probe comes back (checked again every
    few minutes, as an ACL can change without a reconnection). Nothing else changes:
    events are published as before, and probes are not counted as events.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._bus = bus
        self.topic = bus.topic(WRITE_CHECK_SEGMENT)
        self._check_id: str | None = None  # of the check under way
        self._probes_sent = 0
        self._timer: CALLBACK_TYPE | None = None
        self._settled = False  # whether the check since the connection concluded
        self.refused = False

    @callback
    def async_start(self) -> None:
        """Begin a check (the link just came up): probes start after a moment."""
        self.async_cancel()
        self._check_id = uuid.uuid4().hex
        self._probes_sent = 0
        self._settled = False
        self._timer = async_call_later(self._hass, WRITE_CHECK_DELAY, self._async_tick)

    @callback
    def async_resume(self) -> None:
        """Check again if the link failed before the last check could conclude."""
        if not self._settled and self._timer is None:
            self.async_start()

    @callback
    def async_cancel(self) -> None:
        """Drop the check under way (the link went down); probes may still land."""
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def async_stop(self) -> None:
        """End checking with the entry; the issue goes with it."""
        self.async_cancel()
        self._check_id = None
        ir.async_delete_issue(self._hass, DOMAIN, WRITES_REFUSED_ISSUE)

    @callback
    def _async_tick(self, _now: datetime) -> None:
        """Send the next probe, or conclude that none came back."""
        self._timer = None
        if self._check_id is None or not self._bus.sending:
            return  # the link failed meanwhile: checked again once it is back
        if self._probes_sent >= WRITE_CHECK_PROBES:
            self._async_conclude(refused=True)
            return
        self._probes_sent += 1
        message = build_envelope(
            {"check_id": self._check_id}, now=dt_util.now(), ttl=WRITE_CHECK_TTL
        )
        self._entry.async_create_background_task(
            self._hass,
            self._async_send(orjson.dumps(message).decode()),
            "ha_ai mqtt write check",
        )
        self._timer = async_call_later(
            self._hass, WRITE_CHECK_INTERVAL, self._async_tick
        )

    async def _async_send(self, payload: str) -> None:
        try:
            # Arguments by position, as every publish of the bus passes them.
            await mqtt.async_publish(
                self._hass,
                self.topic,
                payload,
                self._bus.settings.qos,
                False,  # noqa: FBT003 - not retained
            )
        except HomeAssistantError as err:
            LOGGER.debug("Publishing a probe to %s failed: %s", self.topic, err)

    @callback
    def async_on_message(self, message: mqtt.ReceiveMessage) -> None:
        """Conclude the check when one of its probes came back."""
        parsed = parse_json_object(message.payload, max_bytes=1024, now=dt_util.now())
        if (
            isinstance(parsed, Rejection)
            or self._check_id is None
            or parsed.get("check_id") != self._check_id
        ):
            return  # another check's probe, or another instance's
        self.async_cancel()
        self._async_conclude(refused=False)

    @callback
    def _async_conclude(self, *, refused: bool) -> None:
        self._check_id = None
        self._settled = True
        was_refused, self.refused = self.refused, refused
        if not refused:
            if was_refused:
                LOGGER.info(
                    "HA AI's probe on %s came back: the MQTT broker passes HA AI's "
                    "publishes on again",
                    self.topic,
                )
            else:
                LOGGER.debug("HA AI's probe on %s came back", self.topic)
            ir.async_delete_issue(self._hass, DOMAIN, WRITES_REFUSED_ISSUE)
            return
        prefix = self._bus.settings.namespace_prefix
        waited = round(WRITE_CHECK_PROBES * WRITE_CHECK_INTERVAL)
        if not was_refused:
            LOGGER.warning(
                "None of HA AI's probes on %s came back from the MQTT broker within "
                "%s s: the broker probably refuses HA AI's publishes (or its "
                "subscription to that topic), and then nothing HA AI publishes under "
                "%s/ reaches Home Assistant's automations or other programs. Allow "
                "Home Assistant's MQTT user these topics in the broker's ACL: "
                "`topic write %s/#` and `topic read %s`",
                self.topic,
                waited,
                prefix,
                prefix,
                self.topic,
            )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            WRITES_REFUSED_ISSUE,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=WRITES_REFUSED_ISSUE,
            translation_placeholders={
                "topic": self.topic,
                "seconds": str(waited),
                "write_line": f"topic write {prefix}/#",
                "read_line": f"topic read {self.topic}",
                "minutes": str(round(WRITE_RECHECK_INTERVAL / 60)),
            },
        )
        self._timer = async_call_later(
            self._hass, WRITE_RECHECK_INTERVAL, self._async_recheck
        )

    @callback
    def _async_recheck(self, _now: datetime) -> None:
        """Probe again while refused: the ACL may change without a reconnection."""
        self._timer = None
        self.async_start()


class MqttBus:
    """Publishes and receives HA AI's MQTT messages through Home Assistant's client."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], settings: BusSettings
    ) -> None:
        """Prepare the bus; nothing touches MQTT before `async_start`.

        Its publishes are tasks of `entry`: none outlives it.
        """
        self.hass = hass
        self.entry = entry
        self.settings = settings
        self.statistics = BusStatistics()
        self._drops = _DropReport(hass)
        self._queue = OutboundQueue(
            settings.queue_size,
            max_bytes=MAX_QUEUED_CHARACTERS,
            on_drop=self._async_dropped,
        )
        self._in_flight: deque[_InFlight] = deque()
        self._retained: dict[str, str] = {}
        self._unsubscribers: list[CALLBACK_TYPE] = []
        self._changed = ChangeSignal(hass, entry.entry_id, "bus")
        self._notify_scheduled = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self._birth_debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=BIRTH_REPUBLISH_COOLDOWN,
            immediate=True,
            function=self._async_republish,
        )
        self._connected = False
        self._stalled_since: datetime | None = None
        self._stopped = False
        self._write_check = _WriteCheck(hass, entry, self)

    # Life cycle

    async def async_start(self) -> None:
        """Subscribe to the connection state and birth message, and go online.

        Nothing here waits on the broker: the `online` status and any queued
        events go out from background tasks.
        """
        self._connected = mqtt.is_connected(self.hass)
        self._async_fit_queue()
        self._async_pump()
        await self._async_subscribe(
            self._write_check.topic, self._write_check.async_on_message
        )
        if self._connected:
            self._write_check.async_start()
        self._unsubscribers.append(
            mqtt.async_subscribe_connection_status(
                self.hass, self._async_connection_changed
            )
        )
        await self.async_subscribe_text(_birth_topic(self.hass), self._async_birth)
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_HOMEASSISTANT_STOP, self._async_home_assistant_stopping
            )
        )
        self.async_set_retained(self.topic("status"), STATUS_ONLINE)

    async def async_stop(self) -> None:
        """Go `offline`, then remove every subscription and task.

        The entities disconnect from the change signal as they are removed.
        """
        await self._async_go_offline()
        while self._unsubscribers:
            self._unsubscribers.pop()()

    async def _async_home_assistant_stopping(self, _event: Event) -> None:
        """Go `offline` when Home Assistant stops: entries are not unloaded then."""
        await self._async_go_offline()

    async def _async_go_offline(self) -> None:
        """Publish `offline` retained, once; nothing is sent after it.

        Events still waiting are dropped, and said so in the log; those already
        handed to the client are its to deliver.
        """
        if self._stopped:
            return
        self._stopped = True
        self._birth_debouncer.async_shutdown()
        self._write_check.async_stop()
        # Events handed to the client are not waiting any more: it delivers them
        # (before the `offline` status, in order), so they are not dropped.
        handed_over = len(self._in_flight)
        self._in_flight.clear()
        self._async_halt_sending()
        if handed_over:
            LOGGER.debug(
                "%s events handed to the MQTT client are left to it to deliver",
                handed_over,
            )
        self._queue.clear(DropReason.UNLOADED)
        status_topic = self.topic("status")
        self._retained.pop(status_topic, None)
        if self._connected:
            # The bus's last word is not a task of the entry, which cancels its
            # tasks as it unloads; nor is it cancelled on time-out: the client
            # may still deliver it.
            offline = self.hass.async_create_background_task(
                self._async_send(status_topic, STATUS_OFFLINE, retain=True),
                "ha_ai mqtt offline status",
            )
            done, _ = await asyncio.wait({offline}, timeout=STATUS_PUBLISH_TIMEOUT)
            if not done:
                LOGGER.warning("The broker did not take the offline status in time")
        self._drops.async_stop()

    # State for entities and diagnostics

    @property
    def connected(self) -> bool:
        """Return whether Home Assistant's MQTT client is connected to the broker."""
        return self._connected

    @property
    def writes_refused(self) -> bool:
        """Return whether the last check found the broker refusing HA AI's writes."""
        return self._write_check.refused

    @property
    def stalled(self) -> bool:
        """Return whether the broker is connected but does not acknowledge publishes."""
        return self._stalled_since is not None

    @property
    def queued_messages(self) -> int:
        """Return how many events wait for the broker (or for its acknowledgement)."""
        return len(self._queue) + len(self._in_flight)

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the bus's state and counters for the diagnostics download."""
        return {
            "connected": self._connected,
            "stalled": self.stalled,
            "writes_refused": self.writes_refused,
            "queued_messages": self.queued_messages,
            "queue_limit": self._queue.max_size,
            "retained_topics": sorted(self._retained),
            "subscriptions": len(self._unsubscribers),
            "statistics": asdict(self.statistics),
            "settings": asdict(self.settings),
        }

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever the connection state or a counter changes.

        It hears the bus's change signal; the returned function disconnects it.
        """
        return self._changed.async_add_listener(listener)

    @callback
    def _async_notify(self) -> None:
        """Tell the listeners once per loop turn, however many counters changed."""
        if not self._notify_scheduled:
            self._notify_scheduled = True
            self.hass.loop.call_soon(self._async_notify_now)

    @callback
    def _async_notify_now(self) -> None:
        self._notify_scheduled = False
        self._changed.async_send()

    @callback
    def _async_dropped(
        self, message: QueuedMessage, reason: DropReason, error: str | None = None
    ) -> None:
        """Count a dropped event and add it to the next summary line."""
        if reason is DropReason.EXPIRED:
            self.statistics.messages_dropped_expired += 1
        elif reason is DropReason.OVERFLOW:
            self.statistics.messages_dropped_overflow += 1
        self._drops.async_add(message, reason, error)
        self._async_notify()

    # Publishing

    def topic(self, *segments: str) -> str:
        """Return the namespace topic for `segments`, each reduced to a slug."""
        slugs = [slugify_segment(segment) for segment in segments]
        return join_topic(self.settings.namespace_prefix, *slugs)

    @property
    def sending(self) -> bool:
        """Return whether the broker takes messages: connected and not stalled."""
        return self._connected and self._stalled_since is None and not self._stopped

    @callback
    def async_publish_event(
        self,
        segments: Sequence[str],
        fields: Mapping[str, Any],
        *,
        ttl: int | None = None,
    ) -> PublishedEvent:
        """Queue an event for publishing under the namespace and return its id.

        The event goes out as soon as the broker takes messages, after every event
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
        if self._stopped:
            self._async_dropped(queued, DropReason.UNLOADED)
            self._drops.async_stop()  # no timer outlives the entry: log it now
        else:
            self._queue.put(queued, now)
            self._async_pump()
            if not self._in_flight:
                self._async_notify()
        return PublishedEvent(
            event_id=message["event_id"], topic=topic, queued=not self.sending
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
            self.entry.async_create_background_task(
                self.hass,
                self._async_send_retained(
                    retained_topic, self._retained[retained_topic]
                ),
                f"ha_ai publish {retained_topic}",
            )

    async def _async_send_retained(self, topic: str, payload: str) -> None:
        if (error := await self._async_send(topic, payload, retain=True)) is not None:
            LOGGER.warning("Publishing to %s failed: %s", topic, error)
        self._async_notify()

    async def _async_send(
        self, topic: str, payload: str, *, retain: bool
    ) -> HomeAssistantError | None:
        """Publish one message and count it; return the client's error, if any.

        Home Assistant's client returns once the broker acknowledged a QoS 1 or 2
        message (after 10 s it gives up waiting and returns all the same). The
        listeners hear of the counters from the caller, once per burst.
        """
        try:
            await mqtt.async_publish(
                self.hass, topic, payload, self.settings.qos, retain
            )
        except HomeAssistantError as err:
            self.statistics.publish_errors += 1
            return err
        self.statistics.messages_published += 1
        return None

    @callback
    def _async_fit_queue(self) -> None:
        """Give the queue the limit of the moment.

        Large while the broker takes messages, else the configured outage size:
        the oldest events beyond it are dropped, and reported.
        """
        self._queue.resize(
            max(CONNECTED_QUEUE_SIZE, self.settings.queue_size)
            if self.sending
            else self.settings.queue_size
        )

    @callback
    def _async_pump(self) -> None:
        """Hand waiting events to the client in order, up to `PUBLISH_WINDOW` at once.

        Expiry is checked here, right before each publish. Each publish reports
        back through `_async_publish_done`; the watchdog checks its deadline.
        """
        loop = self.hass.loop
        while self.sending and len(self._in_flight) < PUBLISH_WINDOW:
            if (message := self._queue.pop(dt_util.now())) is None:
                break
            task = self.entry.async_create_background_task(
                self.hass,
                self._async_send(message.topic, message.payload, retain=False),
                f"ha_ai publish {message.topic}",
            )
            self._in_flight.append(
                _InFlight(message, task, loop.time() + PUBLISH_ACK_TIMEOUT)
            )
            task.add_done_callback(self._async_publish_done)
        if self._in_flight and self._watchdog is None:
            self._async_arm_watchdog()

    @callback
    def _async_publish_done(self, _task: asyncio.Task[Any]) -> None:
        """Settle the finished publishes at the head of the window, then send more.

        An event refused while the link is up is dropped (and reported); one
        refused because the link dropped goes back to the head of the queue with
        every event after it, for the reconnect.
        """
        in_flight = self._in_flight
        while in_flight and in_flight[0].task.done():
            task = in_flight[0].task
            if task.cancelled() or (error := task.result()) is None:
                in_flight.popleft()
                continue
            if not mqtt.is_connected(self.hass):
                self._async_requeue_in_flight()
                return
            self._async_dropped(
                in_flight.popleft().message, DropReason.REFUSED, log_safe(str(error))
            )
        self._async_pump()
        if not in_flight:
            self._async_notify_now()

    @callback
    def _async_arm_watchdog(self) -> None:
        due = self.hass.loop.time() + STALL_CHECK_INTERVAL
        self._watchdog = self.hass.loop.call_at(due, self._async_watchdog, due)

    @callback
    def _async_watchdog(self, due: float) -> None:
        """Check the oldest unacknowledged publish against its deadline, each second.

        A check that runs late means the event loop itself was busy (a burst of
        events, a slow step elsewhere): acknowledgements that arrived meanwhile may
        not be handled yet, so only a check on time can find the broker stalled.
        Long bursts also update the listeners here, once per check.
        """
        self._watchdog = None
        self._async_notify_now()
        if not self._in_flight:
            return
        now = self.hass.loop.time()
        if now - due < LOOP_BUSY_SLACK and now >= self._in_flight[0].deadline:
            self._async_stalled(self._in_flight[0].message.topic)
            return
        self._async_arm_watchdog()

    @callback
    def _async_requeue_in_flight(self) -> None:
        """Put events not acknowledged back at the head of the queue, in order.

        The client may still deliver them (it resends unacknowledged messages,
        after a reconnect too): sending them again makes delivery at least once.
        """
        while self._in_flight:
            pending = self._in_flight.pop()
            task = pending.task
            if task.done() and not task.cancelled() and task.result() is None:
                continue  # acknowledged after all
            self._queue.put_back(pending.message)
        self._async_notify()

    @callback
    def _async_halt_sending(self) -> None:
        """Stop the watchdog and the stall probe; the unacknowledged go back in line."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._probe_task is not None:
            self._probe_task.cancel()
            self._probe_task = None
        self._async_requeue_in_flight()

    @callback
    def _async_stalled(self, topic: str) -> None:
        """Queue as for an outage, and probe: the broker did not acknowledge in time."""
        self._stalled_since = stalled_since = dt_util.utcnow()
        self.statistics.stalls += 1
        LOGGER.warning(
            "The MQTT broker has not acknowledged a publish to %s within %s s: it "
            "looks stalled. Events wait in the queue (at most %s) until it "
            "acknowledges again",
            topic,
            PUBLISH_ACK_TIMEOUT,
            self.settings.queue_size,
        )
        self._async_requeue_in_flight()
        self._async_fit_queue()
        self._probe_task = self.entry.async_create_background_task(
            self.hass, self._async_probe(stalled_since), "ha_ai mqtt stall probe"
        )

    async def _async_probe(self, stalled_since: datetime) -> None:
        """Send the retained `online` status until the broker acknowledges it.

        One probe per `PUBLISH_ACK_TIMEOUT`; the status is retained and the same
        each time, so the copies the client delivers once the broker is back do no
        harm. The first acknowledged probe ends the stall.
        """
        loop = self.hass.loop
        status_topic = self.topic("status")
        while True:
            deadline = loop.time() + PUBLISH_ACK_TIMEOUT
            probe = self.entry.async_create_background_task(
                self.hass,
                self._async_send(status_topic, STATUS_ONLINE, retain=True),
                "ha_ai mqtt stall probe publish",
            )
            done, _ = await asyncio.wait({probe}, timeout=PUBLISH_ACK_TIMEOUT)
            if done and probe.result() is None:
                break
            await asyncio.sleep(max(deadline - loop.time(), 0))
        self._probe_task = None
        self._stalled_since = None
        stalled_for = dt_util.utcnow() - stalled_since
        LOGGER.info(
            "The MQTT broker acknowledges again after %s s; sending %s queued events",
            round(stalled_for.total_seconds()),
            len(self._queue),
        )
        self._async_fit_queue()
        self._async_pump()
        self._async_notify()
        self._write_check.async_resume()

    @callback
    def _async_connection_changed(self, connected: bool) -> None:  # noqa: FBT001
        self._async_halt_sending()
        self._write_check.async_cancel()
        self._connected = connected
        self._stalled_since = None
        self._async_fit_queue()
        if connected:
            self._write_check.async_start()
            LOGGER.debug(
                "MQTT connected; sending %s queued events", self.queued_messages
            )
            self._async_republish()
            self._async_pump()
        else:
            LOGGER.info(
                "MQTT disconnected; events are queued (at most %s) until it is back",
                self.settings.queue_size,
            )
        self._async_notify_now()

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
        LOGGER.debug(
            "Dropped a message on %s: %s", log_safe(topic), log_safe(reason, 500)
        )

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
        """Republish retained state; a flood of births causes one or two republishes."""
        if payload == STATUS_ONLINE:
            LOGGER.debug("Home Assistant birth message on %s: republishing", topic)
            self._birth_debouncer.async_schedule_call()


def _birth_topic(hass: HomeAssistant) -> str:
    """Return the birth topic the mqtt entry is configured with."""
    for entry in hass.config_entries.async_entries(mqtt.DOMAIN):
        birth = entry.data.get(mqtt.CONF_BIRTH_MESSAGE) or entry.options.get(
            mqtt.CONF_BIRTH_MESSAGE
        )
        if isinstance(birth, Mapping) and isinstance(birth.get("topic"), str):
            return str(birth["topic"])
    return DEFAULT_BIRTH_TOPIC
