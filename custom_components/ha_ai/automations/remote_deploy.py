"""Deploy and remove commands from outside programs, when the user allows them.

Off by default. When on, `<namespace>/commands/automation/deploy` and `.../remove`
are accepted only with a valid HMAC-SHA256 signature made with the shared secret
of the options, within their time-to-live, and once (the `event_id` of an accepted
command is remembered). A deploy then goes through the very checks and deployer
that accepted suggestions go through. Every command gets an answer on
`<namespace>/responses/automation/executed` or `.../failed` saying why, with its
`event_id` as `command_event_id` whenever one could be read.

Refusals that need no secret to provoke (unsigned, malformed, replayed or
expired commands) are answered one by one only up to a rate per reason; beyond
it they are counted, and one summary per interval is logged and published, so
that a flood cannot flood the namespace in turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..engine.automations.commands import (
    CommandKind,
    CommandRefused,
    DeployCommand,
    RemoveCommand,
    parse_command,
)
from ..engine.automations.refusal_limit import RefusalLimiter, RefusalLimits
from ..engine.log_text import log_safe
from .check import (
    AutomationRefusedError,
    SafetySettings,
    async_check_automation,
)
from .remote_replay import ReplayRecord

if TYPE_CHECKING:
    from ..bus.mqtt_bus import MqttBus
    from ..suggestions.manager import SuggestionManager
    from .deploy import AutomationDeployer

# Commands handled at once; more are refused as busy rather than queued forever.
MAX_PENDING_COMMANDS = 5
# The reason of the summary of refusals that were not answered one by one.
RATE_LIMITED: Final = "rate_limited"
INTERNAL_ERROR: Final = "internal_error"
# How many refusals are answered one by one, per reason.
REFUSAL_LIMITS = RefusalLimits()


class RemoteDeploy:
    """Listens for signed deploy and remove commands and answers each one."""

    def __init__(  # noqa: PLR0913
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        deployer: AutomationDeployer,
        suggestions: SuggestionManager,
        *,
        secret: str,
        safety: SafetySettings,
    ) -> None:
        """Prepare; nothing is subscribed before `async_start`.

        Commands are carried out as tasks of `entry`, and end with it.
        """
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.deployer = deployer
        self.suggestions = suggestions
        self.safety = safety
        self._secret = secret
        self._record = ReplayRecord(hass, entry)
        self._limiter = RefusalLimiter(REFUSAL_LIMITS)
        self._summary_timer: CALLBACK_TYPE | None = None
        self._pending = 0
        self.accepted = 0
        self.refused = 0

    async def async_start(self) -> None:
        """Load the record of accepted commands, then subscribe to the topics."""
        await self._record.async_load()
        for kind in CommandKind:
            topic = self.bus.topic("commands", "automation", kind.value)
            await self.bus.async_subscribe_raw(topic, self._on_command(kind))
        LOGGER.info("Remote deploy is on: signed commands are accepted")

    async def async_stop(self) -> None:
        """Publish what is held back (unload or reload); the record writes itself."""
        if self._summary_timer is not None:
            self._summary_timer()
            self._summary_timer = None
        self._async_publish_summary(dt_util.utcnow())

    def _on_command(self, kind: CommandKind) -> Callable[[str, bytes], None]:
        @callback
        def on_message(topic: str, payload: bytes) -> None:
            started = time.perf_counter()
            try:
                self._async_on_command(kind, topic, payload, started)
            except Exception:  # noqa: BLE001 - logged with its traceback, answered
                # A bug must not leave the sender without an answer; nor may a
                # payload that triggers it flood the log or the namespace.
                if self._allowed(INTERNAL_ERROR):
                    LOGGER.exception("Handling a remote command on %s failed", topic)
                    self._respond_failed(
                        None,
                        None,
                        started,
                        reason=INTERNAL_ERROR,
                        error="HA AI could not handle the command; see its log",
                        command_event_id=None,
                    )

        return on_message

    @callback
    def _async_on_command(
        self, kind: CommandKind, topic: str, payload: bytes, started: float
    ) -> None:
        try:
            command = parse_command(
                kind,
                payload,
                secret=self._secret,
                now=dt_util.utcnow(),
                replay_guard=self._record.guard,
            )
        except CommandRefused as err:
            self._refuse(topic, err, started)
            return
        # Remembered for good before anything is carried out.
        self._record.async_schedule_save()
        if self._pending >= MAX_PENDING_COMMANDS:
            self._respond_failed(
                command.automation_id,
                command.suggestion_id,
                started,
                reason="busy",
                error="Too many commands at once; send it again later",
                command_event_id=command.event_id,
            )
            return
        self._pending += 1
        self.entry.async_create_background_task(
            self.hass, self._async_handle(command, started), "ha_ai remote command"
        )

    async def _async_handle(
        self, command: DeployCommand | RemoveCommand, started: float
    ) -> None:
        """Carry a valid command out and answer it."""
        try:
            if isinstance(command, DeployCommand):
                checked = await async_check_automation(
                    self.hass,
                    command.automation,
                    automation_id=command.automation_id,
                    safety=self.safety,
                )
                await self.deployer.async_deploy(
                    checked, source="remote", suggestion_id=command.suggestion_id
                )
                if command.suggestion_id is not None:
                    self.suggestions.async_mark_deployed(
                        command.suggestion_id, command.automation_id
                    )
            else:
                await self.deployer.async_remove(command.automation_id)
        except AutomationRefusedError as err:
            LOGGER.warning(
                "Remote %s of %s refused: %s",
                "deploy" if isinstance(command, DeployCommand) else "removal",
                command.automation_id,
                log_safe(err.message, 500),
            )
            self._respond_failed(
                command.automation_id,
                command.suggestion_id,
                started,
                reason=err.reason,
                error=err.message,
                command_event_id=command.event_id,
            )
        except Exception:  # noqa: BLE001 - logged with its traceback, answered
            LOGGER.exception(
                "Remote command %s for %s failed",
                command.event_id,
                command.automation_id,
            )
            self._respond_failed(
                command.automation_id,
                command.suggestion_id,
                started,
                reason=INTERNAL_ERROR,
                error="HA AI could not carry the command out; see its log",
                command_event_id=command.event_id,
            )
        else:
            self.accepted += 1
            self.bus.async_publish_event(
                ["responses", "automation", "executed"],
                {
                    "automation_id": command.automation_id,
                    "suggestion_id": command.suggestion_id,
                    "command_event_id": command.event_id,
                    "success": True,
                    "error": None,
                    "execution_time_ms": _elapsed_ms(started),
                },
            )
        finally:
            self._pending -= 1

    def _allowed(self, reason: str) -> bool:
        """Return whether this refusal is answered; else count it for the summary."""
        if self._limiter.allow(reason, time.monotonic()):
            return True
        self.refused += 1
        if self._summary_timer is None:
            self._summary_timer = async_call_later(
                self.hass,
                self._limiter.limits.summary_seconds,
                self._async_summary_due,
            )
        return False

    def _refuse(self, topic: str, err: CommandRefused, started: float) -> None:
        if not self._allowed(str(err.reason)):
            return
        LOGGER.warning("Refused a command on %s: %s", topic, log_safe(err.message))
        self._respond_failed(
            err.automation_id,
            err.suggestion_id,
            started,
            reason=str(err.reason),
            error=err.message,
            command_event_id=err.event_id,
        )

    @callback
    def _async_summary_due(self, now: datetime) -> None:
        self._summary_timer = None
        self._async_publish_summary(now)

    @callback
    def _async_publish_summary(self, now: datetime) -> None:
        """Say once how many refusals were not answered one by one, and why."""
        by_reason = self._limiter.take_summary()
        if not by_reason:
            return
        held_back = sum(by_reason.values())
        reasons = ", ".join(f"{reason} {count}" for reason, count in by_reason.items())
        seconds = round(self._limiter.limits.summary_seconds)
        LOGGER.warning(
            "Refused %s more remote commands without answering each (%s); "
            "someone may be flooding the command topics",
            held_back,
            reasons,
        )
        self.bus.async_publish_event(
            ["responses", "automation", "failed"],
            {
                "automation_id": None,
                "suggestion_id": None,
                "command_event_id": None,
                "success": False,
                "reason": RATE_LIMITED,
                "error": (
                    f"{held_back} more commands were refused without an answer "
                    f"each, at most {seconds} s up to {now.isoformat()} ({reasons})"
                ),
                "refused": held_back,
                "refused_by_reason": by_reason,
            },
        )

    def _respond_failed(  # noqa: PLR0913
        self,
        automation_id: str | None,
        suggestion_id: str | None,
        started: float,
        *,
        reason: str,
        error: str,
        command_event_id: str | None,
    ) -> None:
        self.refused += 1
        self.bus.async_publish_event(
            ["responses", "automation", "failed"],
            {
                "automation_id": automation_id,
                "suggestion_id": suggestion_id,
                "command_event_id": command_event_id,
                "success": False,
                "reason": reason,
                "error": error,
                "execution_time_ms": _elapsed_ms(started),
            },
        )

    def as_diagnostics(self) -> dict[str, Any]:
        """Return a summary for the diagnostics download (never the secret)."""
        return {
            "accepted": self.accepted,
            "refused": self.refused,
            "pending": self._pending,
            "refusals_answered": self._limiter.answered,
            "refusals_not_answered_by_reason": dict(self._limiter.held_back),
            "refusals_awaiting_summary": self._limiter.pending,
            **self._record.as_diagnostics(),
        }


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
