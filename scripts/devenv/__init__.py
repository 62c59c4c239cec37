"""Run a real Home Assistant with a real MQTT broker for development.

``scripts/develop`` runs this package (``python -m scripts.devenv``) to give a
developer a Home Assistant that loads the integration from the working tree,
and ``scripts/bench`` imports the same parts so that measurements run against
exactly what developers see. Everything here talks to Home Assistant the way a
user would (REST and websocket), so the integration is exercised through its
public surface. ``scripts/develop`` also runs a Zigbee2MQTT stand-in with
about twenty devices that answers commands (``scripts/zigbee2mqtt_bridge.py``),
so HA AI's Zigbee features have something to show.

It runs with the interpreter of ``.venv`` (created by ``scripts/_env.sh``),
which provides Home Assistant and aiohttp; nothing else is required. One job
per module: ``common`` (places, time limits, errors, log line), ``ports``,
``requirements`` (the frontend package), ``processes`` (child processes),
``home_assistant`` (its configuration and process), ``auth`` (onboarding and
tokens), ``hass_api`` (REST and config entries), ``environment`` (all of it
together), ``develop`` and ``zigbee_check`` (what ``scripts/develop`` shows),
``demo_history`` and ``history_check`` (the demo household's weeks of habits,
and what the first analysis makes of them), ``camera_standin`` and
``camera_demo`` (an AI camera classifier's stand-in, and its place in the demo)
and ``demo_guide`` (the demo's dashboard and what to try).
"""

from __future__ import annotations

from .auth import AccessToken, renew_tokens
from .common import (
    ENTRY_TIMEOUT,
    LOOPBACK,
    REPO_ROOT,
    TOKEN_RENEW_MARGIN,
    DevEnvError,
    IntegrationUnavailableError,
    log,
)
from .environment import Environment, environment, run
from .hass_api import (
    HassApi,
    ensure_entries,
    ensure_ha_ai_entry,
    ensure_mqtt_entry,
    integration_unavailable_message,
)
from .ports import free_port
from .requirements import (
    ensure_runtime_requirements,
    missing_requirements,
    runtime_requirements,
)

__all__ = [
    "ENTRY_TIMEOUT",
    "LOOPBACK",
    "REPO_ROOT",
    "TOKEN_RENEW_MARGIN",
    "AccessToken",
    "DevEnvError",
    "Environment",
    "HassApi",
    "IntegrationUnavailableError",
    "ensure_entries",
    "ensure_ha_ai_entry",
    "ensure_mqtt_entry",
    "ensure_runtime_requirements",
    "environment",
    "free_port",
    "integration_unavailable_message",
    "log",
    "missing_requirements",
    "renew_tokens",
    "run",
    "runtime_requirements",
]
