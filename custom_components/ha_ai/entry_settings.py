"""The settings of an HA AI entry, read once from its data and options.

The entry keeps what defines its connection in `data` (the topic prefixes, the LLM
and its key, the remote deploy secret) and the tunables in `options`.
`settings_values` is the one place where both are laid over the defaults;
`HaAiSettings` turns the result into the typed settings of each part, so every
part, flow and diagnostic reads the same values the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry

from .automations.check import SafetySettings
from .bus.mqtt_bus import BusSettings
from .cameras.tracker import CameraSettings
from .const import (
    CONF_ALLOWED_SERVICES,
    CONF_ANALYSIS_TIME,
    CONF_ANNOUNCE_FORMING_ROUTINES,
    CONF_BATTERY_THRESHOLD,
    CONF_CAMERA_FORGET_DAYS,
    CONF_CAMERA_QUIET_MINUTES,
    CONF_CAMERA_TOPIC_PREFIX,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_EXCLUDED_ENTITIES,
    CONF_HISTORY_DAYS,
    CONF_LAST_SEEN_STALE_HOURS,
    CONF_LLM_AGENT_ID,
    CONF_LLM_AI_TASK_ENTITY,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_LLM_TIMEOUT,
    CONF_MAX_SUGGESTIONS,
    CONF_MESSAGE_TTL,
    CONF_NAMESPACE_PREFIX,
    CONF_NOTIFY_SUGGESTIONS,
    CONF_PAIR_DELAY_SECONDS,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    CONF_SENSITIVE_SERVICES_ALLOWED,
    CONF_SPORTS_DELAYS,
    CONF_SPORTS_UNFOLLOWED,
    CONF_SUGGESTION_EXPIRY_DAYS,
    CONF_UNAVAILABLE_MINUTES,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DATA_FIELDS,
    DEFAULT_OPTIONS,
)
from .engine.habits.model import MiningSettings
from .engine.zigbee.anomalies import AnomalySettings
from .habits.coordinator import AnalysisSchedule
from .habits.log import Exclusions
from .llm.backends import LlmSettings
from .sports.teams import SportsSettings
from .suggestions.manager import SuggestionSettings


def settings_values(
    data: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return every setting by its key: the entry's data and options over defaults."""
    return {**DEFAULT_OPTIONS, **options, **data}


def split_settings(
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the settings sorted into the entry's data and its options."""
    data = {key: values[key] for key in DATA_FIELDS if key in values}
    options = {key: value for key, value in values.items() if key not in DATA_FIELDS}
    return data, options


@dataclass(frozen=True, slots=True)
class RemoteDeploySettings:
    """The shared secret commands are signed with, and what they may call."""

    secret: str = field(repr=False)
    safety: SafetySettings


@dataclass(frozen=True, slots=True)
class HaAiSettings:
    """Everything an entry is configured with, typed for the part that uses it."""

    values: Mapping[str, Any] = field(repr=False)  # every setting by key, read-only
    bus: BusSettings
    zigbee_base_topic: str
    anomalies: AnomalySettings
    history_days: int  # the habit log keeps, and the analysis reads, this long
    exclusions: Exclusions
    schedule: AnalysisSchedule
    mining: MiningSettings
    safety: SafetySettings
    suggestions: SuggestionSettings
    remote_deploy: RemoteDeploySettings | None  # None while remote deploy is off
    cameras: CameraSettings
    sports: SportsSettings
    llm: LlmSettings
    # Whether the household's routines are announced while still forming.
    announce_forming_routines: bool

    @classmethod
    def from_entry(cls, entry: ConfigEntry[Any]) -> HaAiSettings:
        """Return the settings of a config entry."""
        return cls.from_values(settings_values(entry.data, entry.options))

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> HaAiSettings:
        """Return the settings from every setting by its key (`settings_values`)."""
        safety = SafetySettings(
            allowed=tuple(values[CONF_ALLOWED_SERVICES]),
            sensitive_allowed=tuple(values[CONF_SENSITIVE_SERVICES_ALLOWED]),
        )
        secret = str(values[CONF_REMOTE_SECRET])
        history_days = int(values[CONF_HISTORY_DAYS])
        return cls(
            values=MappingProxyType(dict(values)),
            bus=BusSettings(
                namespace_prefix=str(values[CONF_NAMESPACE_PREFIX]),
                qos=int(values[CONF_QOS]),
                message_ttl=int(values[CONF_MESSAGE_TTL]),
                queue_size=int(values[CONF_QUEUE_SIZE]),
            ),
            zigbee_base_topic=str(values[CONF_ZIGBEE2MQTT_BASE_TOPIC]),
            anomalies=AnomalySettings(
                unavailable_after=timedelta(
                    minutes=int(values[CONF_UNAVAILABLE_MINUTES])
                ),
                battery_below=float(values[CONF_BATTERY_THRESHOLD]),
                last_seen_stale_after=timedelta(
                    hours=int(values[CONF_LAST_SEEN_STALE_HOURS])
                ),
            ),
            history_days=history_days,
            exclusions=Exclusions(
                entities=frozenset(values[CONF_EXCLUDED_ENTITIES]),
                areas=frozenset(values[CONF_EXCLUDED_AREAS]),
                domains=frozenset(values[CONF_EXCLUDED_DOMAINS]),
            ),
            schedule=AnalysisSchedule(
                run_at=time.fromisoformat(str(values[CONF_ANALYSIS_TIME])),
                history_days=history_days,
            ),
            # Only what a user can tell better than the defaults is a setting: how
            # long after the first change the second still counts as used together.
            mining=replace(
                MiningSettings(),
                pair_max_delay=timedelta(seconds=int(values[CONF_PAIR_DELAY_SECONDS])),
            ),
            safety=safety,
            suggestions=SuggestionSettings(
                max_kept=int(values[CONF_MAX_SUGGESTIONS]),
                expire_after=timedelta(days=int(values[CONF_SUGGESTION_EXPIRY_DAYS])),
                notify=bool(values[CONF_NOTIFY_SUGGESTIONS]),
                safety=safety,
            ),
            remote_deploy=(
                RemoteDeploySettings(secret=secret, safety=safety.without_templates())
                if values[CONF_REMOTE_DEPLOY] and secret
                else None
            ),
            cameras=CameraSettings(
                topic_prefix=str(values[CONF_CAMERA_TOPIC_PREFIX]),
                quiet=timedelta(minutes=int(values[CONF_CAMERA_QUIET_MINUTES])),
                forget_after_days=int(values[CONF_CAMERA_FORGET_DAYS]),
                stale_after=timedelta(seconds=int(values[CONF_MESSAGE_TTL])),
            ),
            sports=SportsSettings.from_options(
                values[CONF_SPORTS_UNFOLLOWED], values[CONF_SPORTS_DELAYS]
            ),
            llm=LlmSettings(
                provider=str(values[CONF_LLM_PROVIDER]),
                agent_id=str(values[CONF_LLM_AGENT_ID]),
                ai_task_entity=str(values[CONF_LLM_AI_TASK_ENTITY]),
                base_url=str(values[CONF_LLM_BASE_URL]),
                api_key=str(values[CONF_LLM_API_KEY]),
                model=str(values[CONF_LLM_MODEL]),
                timeout=float(values[CONF_LLM_TIMEOUT]),
                max_calls=int(values[CONF_LLM_MAX_CALLS]),
            ),
            announce_forming_routines=bool(values[CONF_ANNOUNCE_FORMING_ROUTINES]),
        )
