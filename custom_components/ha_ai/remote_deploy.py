"""Deploy and remove commands from outside programs, when the user allows them.

Off by default. When on, `<namespace>/commands/automation/deploy` and `.../remove`
are accepted only with a valid HMAC-SHA256 signature made with the shared secret
of the options, within their time-to-live, and once (the `event_id` of an accepted
command is remembered). A deploy then goes through the very checks and deployer
that accepted suggestions go through. Every command gets an answer on
`<namespace>/responses/automation/executed` or `.../failed` saying why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .automation_check import (
    AutomationRefusedError,
    SafetySettings,
    async_check_automation,
)
from .const import LOGGER
from .engine.automations.commands import (
    CommandKind,
    CommandRefused,
    DeployCommand,
    RemoveCommand,
    parse_command,
)
from .engine.automations.replay import ReplayGuard

if TYPE_CHECKING:
    from .automation_deploy import AutomationDeployer
    from .mqtt_bus import MqttBus
    from .suggestions import SuggestionManager

# Commands handled at once; more are refused as busy rather than queued forever.
MAX_PENDING_COMMANDS = 5


class RemoteDeploy:
    """Listens for signed deploy and remove commands and answers each one."""

    def __init__(  # noqa: PLR0913
        self,
        hass: HomeAssistant,
        bus: MqttBus,
        deployer: AutomationDeployer,
        suggestions: SuggestionManager,
        *,
        secret: str,
        safety: SafetySettings,
    ) -> None:
        """Prepare; nothing is subscribed before `async_start`."""
        self.hass = hass
        self.bus = bus
        self.deployer = deployer
        self.suggestions = suggestions
        self.safety = safety
        self._secret = secret
        self._replays = ReplayGuard()
        self._pending = 0
        self.accepted = 0
        self.refused = 0

    async def async_start(self) -> None:
        """Subscribe to the two command topics."""
        for kind in CommandKind:
            topic = self.bus.topic("commands", "automation", kind.value)
            await self.bus.async_subscribe_raw(topic, self._on_command(kind))
        LOGGER.info("Remote deploy is on: signed commands are accepted")

    def _on_command(self, kind: CommandKind) -> Callable[[str, bytes], None]:
        @callback
        def on_message(topic: str, payload: bytes) -> None:
            started = time.perf_counter()
            try:
                command = parse_command(
                    kind,
                    payload,
                    secret=self._secret,
                    now=dt_util.utcnow(),
                    replay_guard=self._replays,
                )
            except CommandRefused as err:
                self._refuse(topic, err, started)
                return
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
            self.hass.async_create_background_task(
                self._async_handle(command, started), "ha_ai remote command"
            )

        return on_message

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
                err.message,
            )
            self._respond_failed(
                command.automation_id,
                command.suggestion_id,
                started,
                reason=err.reason,
                error=err.message,
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

    def _refuse(self, topic: str, err: CommandRefused, started: float) -> None:
        LOGGER.warning("Refused a command on %s: %s", topic, err.message)
        self._respond_failed(
            err.automation_id,
            err.suggestion_id,
            started,
            reason=str(err.reason),
            error=err.message,
            command_event_id=err.event_id,
        )

    def _respond_failed(  # noqa: PLR0913
        self,
        automation_id: str | None,
        suggestion_id: str | None,
        started: float,
        *,
        reason: str,
        error: str,
        command_event_id: str | None = None,
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
            "remembered_event_ids": len(self._replays),
        }


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
