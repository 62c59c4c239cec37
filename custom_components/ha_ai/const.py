"""Constants shared by the Home Assistant side of HA AI."""

from __future__ import annotations

import logging
from typing import Final

from .engine.automations.safety import DEFAULT_ALLOWED_SERVICES
from .engine.habits.model import MiningSettings

DOMAIN: Final = "ha_ai"
# The layout of the config entry. Version 2 keeps what defines the connection in
# `data` (version 1 kept everything in `options`).
ENTRY_VERSION: Final = 2
ENTRY_MINOR_VERSION: Final = 1
LOGGER = logging.getLogger(__package__)

# Settings. What defines the connection (the topics, the LLM and its key, the remote
# deploy secret) is kept in the config entry's data and changed by reconfiguring; the
# tunables are kept in its options and changed by the options flow.
CONF_ZIGBEE2MQTT_BASE_TOPIC: Final = "zigbee2mqtt_base_topic"
CONF_NAMESPACE_PREFIX: Final = "namespace_prefix"
CONF_CAMERA_TOPIC_PREFIX: Final = "camera_topic_prefix"
CONF_QOS: Final = "qos"
CONF_MESSAGE_TTL: Final = "message_ttl"
CONF_QUEUE_SIZE: Final = "queue_size"
CONF_UNAVAILABLE_MINUTES: Final = "unavailable_minutes"
CONF_BATTERY_THRESHOLD: Final = "battery_threshold"
CONF_LAST_SEEN_STALE_HOURS: Final = "last_seen_stale_hours"
CONF_ANALYSIS_TIME: Final = "analysis_time"
CONF_HISTORY_DAYS: Final = "history_days"
CONF_PAIR_DELAY_SECONDS: Final = "pair_delay_seconds"
CONF_EXCLUDED_ENTITIES: Final = "excluded_entities"
CONF_EXCLUDED_AREAS: Final = "excluded_areas"
CONF_EXCLUDED_DOMAINS: Final = "excluded_domains"
CONF_MAX_SUGGESTIONS: Final = "max_suggestions"
CONF_SUGGESTION_EXPIRY_DAYS: Final = "suggestion_expiry_days"
CONF_NOTIFY_SUGGESTIONS: Final = "notify_new_suggestions"
# How HA AI judges the automations it deployed: how soon a person setting an entity
# back undoes a run, and how long one may go without running once its pattern is gone.
CONF_OVERRIDE_WINDOW_MINUTES: Final = "override_window_minutes"
CONF_STALE_AFTER_DAYS: Final = "stale_after_days"
CONF_ALLOWED_SERVICES: Final = "allowed_services"
CONF_SENSITIVE_SERVICES_ALLOWED: Final = "sensitive_services_allowed"
CONF_REMOTE_DEPLOY: Final = "remote_deploy_enabled"
# The option keys of the remote deploy secret (the names, not secrets themselves):
# a form field asking for a new one, and the stored secret, never shown in the form.
CONF_NEW_REMOTE_SECRET: Final = "new_remote_deploy_secret"  # noqa: S105
CONF_REMOTE_SECRET: Final = "remote_deploy_secret"  # noqa: S105
CONF_ANNOUNCE_FORMING_ROUTINES: Final = "announce_forming_routines"
CONF_CAMERA_QUIET_MINUTES: Final = "camera_quiet_minutes"
CONF_CAMERA_FORGET_DAYS: Final = "camera_forget_days"
# Sports moments: the TeamTracker teams not followed (by their sensors' unique ids,
# so every team found later is followed), and each team's delay in seconds.
CONF_SPORTS_UNFOLLOWED: Final = "sports_unfollowed_teams"
CONF_SPORTS_DELAYS: Final = "sports_delays"
# The LLM settings come from their own flow steps (provider first, then its fields).
CONF_LLM_PROVIDER: Final = "llm_provider"
CONF_LLM_AGENT_ID: Final = "llm_agent_id"
CONF_LLM_AI_TASK_ENTITY: Final = "llm_ai_task_entity"
CONF_LLM_BASE_URL: Final = "llm_base_url"
CONF_LLM_API_KEY: Final = "llm_api_key"
CONF_LLM_MODEL: Final = "llm_model"
CONF_LLM_TIMEOUT: Final = "llm_timeout"
CONF_LLM_MAX_CALLS: Final = "llm_max_calls"
LLM_PROVIDER_NONE: Final = "none"
LLM_PROVIDER_CONVERSATION: Final = "conversation"
LLM_PROVIDER_AI_TASK: Final = "ai_task"
LLM_PROVIDER_OPENAI: Final = "openai_compatible"
LLM_PROVIDERS: Final = (
    LLM_PROVIDER_NONE,
    LLM_PROVIDER_CONVERSATION,
    LLM_PROVIDER_AI_TASK,
    LLM_PROVIDER_OPENAI,
)

# The form groups the settings: topics first, then two collapsed sections.
SECTION_DELIVERY: Final = "delivery"
SECTION_DEVICE_ANOMALIES: Final = "device_anomalies"
SECTION_HABIT_MINING: Final = "habit_mining"
SECTION_SUGGESTIONS: Final = "suggestions"
SECTION_AUTOMATION_SAFETY: Final = "automation_safety"
SECTION_REMOTE_DEPLOY: Final = "remote_deploy"
SECTION_CAMERAS: Final = "cameras"

DEFAULT_ZIGBEE2MQTT_BASE_TOPIC: Final = "zigbee2mqtt"
DEFAULT_NAMESPACE_PREFIX: Final = "ha-ai"
DEFAULT_CAMERA_TOPIC_PREFIX: Final = "liveobject"
DEFAULT_QOS: Final = 1
DEFAULT_MESSAGE_TTL: Final = 30
DEFAULT_QUEUE_SIZE: Final = 100
DEFAULT_UNAVAILABLE_MINUTES: Final = 60
DEFAULT_BATTERY_THRESHOLD: Final = 15
DEFAULT_LAST_SEEN_STALE_HOURS: Final = 25
DEFAULT_ANALYSIS_TIME: Final = "03:00:00"
DEFAULT_HISTORY_DAYS: Final = 60
MIN_HISTORY_DAYS: Final = 7
DEFAULT_PAIR_DELAY_SECONDS: Final = int(MiningSettings().pair_max_delay.total_seconds())
MIN_PAIR_DELAY_SECONDS: Final = 10
MAX_PAIR_DELAY_SECONDS: Final = 10 * 60
DEFAULT_MAX_SUGGESTIONS: Final = 50
MAX_MAX_SUGGESTIONS: Final = 500
DEFAULT_SUGGESTION_EXPIRY_DAYS: Final = 14
DEFAULT_OVERRIDE_WINDOW_MINUTES: Final = 10
MAX_OVERRIDE_WINDOW_MINUTES: Final = 120
DEFAULT_STALE_AFTER_DAYS: Final = 14
DEFAULT_CAMERA_QUIET_MINUTES: Final = 5
MAX_CAMERA_QUIET_MINUTES: Final = 24 * 60
DEFAULT_CAMERA_FORGET_DAYS: Final = 7
DEFAULT_LLM_TIMEOUT: Final = 30
MAX_LLM_TIMEOUT: Final = 300
DEFAULT_LLM_MAX_CALLS: Final = 10
MAX_LLM_MAX_CALLS: Final = 100
MAX_HISTORY_DAYS: Final = 365

MIN_MESSAGE_TTL: Final = 1
MAX_MESSAGE_TTL: Final = 86_400
MIN_QUEUE_SIZE: Final = 1
MAX_QUEUE_SIZE: Final = 10_000
MAX_UNAVAILABLE_MINUTES: Final = 7 * 24 * 60
MAX_LAST_SEEN_STALE_HOURS: Final = 30 * 24

TOPIC_PREFIX_FIELDS: Final = (
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    CONF_NAMESPACE_PREFIX,
    CONF_CAMERA_TOPIC_PREFIX,
)

LLM_FIELDS: Final = (
    CONF_LLM_PROVIDER,
    CONF_LLM_AGENT_ID,
    CONF_LLM_AI_TASK_ENTITY,
    CONF_LLM_BASE_URL,
    CONF_LLM_API_KEY,
    CONF_LLM_MODEL,
    CONF_LLM_TIMEOUT,
    CONF_LLM_MAX_CALLS,
)
# The settings kept in the entry's data; every other setting is an option.
DATA_FIELDS: Final = (*TOPIC_PREFIX_FIELDS, *LLM_FIELDS, CONF_REMOTE_SECRET)
# Never shown in diagnostics nor logged.
SECRET_FIELDS: Final = (CONF_LLM_API_KEY, CONF_REMOTE_SECRET)

# The default of every setting, whether the entry keeps it in its data or options.
DEFAULT_OPTIONS: Final = {
    CONF_ZIGBEE2MQTT_BASE_TOPIC: DEFAULT_ZIGBEE2MQTT_BASE_TOPIC,
    CONF_NAMESPACE_PREFIX: DEFAULT_NAMESPACE_PREFIX,
    CONF_CAMERA_TOPIC_PREFIX: DEFAULT_CAMERA_TOPIC_PREFIX,
    CONF_QOS: DEFAULT_QOS,
    CONF_MESSAGE_TTL: DEFAULT_MESSAGE_TTL,
    CONF_QUEUE_SIZE: DEFAULT_QUEUE_SIZE,
    CONF_UNAVAILABLE_MINUTES: DEFAULT_UNAVAILABLE_MINUTES,
    CONF_BATTERY_THRESHOLD: DEFAULT_BATTERY_THRESHOLD,
    CONF_LAST_SEEN_STALE_HOURS: DEFAULT_LAST_SEEN_STALE_HOURS,
    CONF_ANALYSIS_TIME: DEFAULT_ANALYSIS_TIME,
    CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    CONF_PAIR_DELAY_SECONDS: DEFAULT_PAIR_DELAY_SECONDS,
    CONF_EXCLUDED_ENTITIES: [],
    CONF_EXCLUDED_AREAS: [],
    CONF_EXCLUDED_DOMAINS: [],
    CONF_MAX_SUGGESTIONS: DEFAULT_MAX_SUGGESTIONS,
    CONF_SUGGESTION_EXPIRY_DAYS: DEFAULT_SUGGESTION_EXPIRY_DAYS,
    CONF_NOTIFY_SUGGESTIONS: True,
    CONF_OVERRIDE_WINDOW_MINUTES: DEFAULT_OVERRIDE_WINDOW_MINUTES,
    CONF_STALE_AFTER_DAYS: DEFAULT_STALE_AFTER_DAYS,
    CONF_ANNOUNCE_FORMING_ROUTINES: False,
    CONF_ALLOWED_SERVICES: list(DEFAULT_ALLOWED_SERVICES),
    CONF_SENSITIVE_SERVICES_ALLOWED: [],
    CONF_REMOTE_DEPLOY: False,
    CONF_REMOTE_SECRET: "",
    CONF_CAMERA_QUIET_MINUTES: DEFAULT_CAMERA_QUIET_MINUTES,
    CONF_CAMERA_FORGET_DAYS: DEFAULT_CAMERA_FORGET_DAYS,
    CONF_SPORTS_UNFOLLOWED: [],
    CONF_SPORTS_DELAYS: {},
    CONF_LLM_PROVIDER: LLM_PROVIDER_NONE,
    CONF_LLM_AGENT_ID: "",
    CONF_LLM_AI_TASK_ENTITY: "",
    CONF_LLM_BASE_URL: "",
    CONF_LLM_API_KEY: "",
    CONF_LLM_MODEL: "",
    CONF_LLM_TIMEOUT: DEFAULT_LLM_TIMEOUT,
    CONF_LLM_MAX_CALLS: DEFAULT_LLM_MAX_CALLS,
}

# Home Assistant's birth topic, used when the mqtt entry does not name its own.
DEFAULT_BIRTH_TOPIC: Final = "homeassistant/status"

# Inbound messages larger than this are dropped before they are parsed.
MAX_INBOUND_PAYLOAD_BYTES: Final = 256 * 1024
# Events a user publishes through the service are limited to this size.
MAX_SERVICE_PAYLOAD_BYTES: Final = 64 * 1024
# Unloading never waits longer than this for the broker to take the `offline` status.
STATUS_PUBLISH_TIMEOUT: Final = 5.0
# A publish the broker has not acknowledged after this many seconds means the broker
# is stalled (frozen, not disconnected). Home Assistant's client stops waiting for an
# acknowledgement after 10 s without an error, so this must stay below that.
PUBLISH_ACK_TIMEOUT: Final = 5.0
# The oldest unacknowledged publish is checked against its deadline this often. A
# check that runs later than LOOP_BUSY_SLACK seconds means the event loop itself was
# busy (say with a burst of 20,000 events): that is not the broker's fault.
STALL_CHECK_INTERVAL: Final = 1.0
LOOP_BUSY_SLACK: Final = 1.0
# Events handed to the MQTT client at once while the broker takes them; the rest wait
# in order. A stall can leave at most this many unacknowledged (sent again later).
PUBLISH_WINDOW: Final = 10
# While the broker takes messages, events wait in a queue this large (instead of the
# configured outage queue), and never more than this many characters in total.
CONNECTED_QUEUE_SIZE: Final = 100_000
MAX_QUEUED_CHARACTERS: Final = 32 * 1024 * 1024
# Dropped events are logged as one summary line per this many seconds, at most.
DROP_LOG_INTERVAL: Final = 10.0
# Home Assistant's birth messages within this many seconds cause one republish.
BIRTH_REPUBLISH_COOLDOWN: Final = 5.0
# A broker's ACL may refuse HA AI's publishes without telling it (mosquitto
# acknowledges them to an MQTT 3.1.1 client all the same). After each connection HA
# AI publishes a probe on `<prefix>/<WRITE_CHECK_SEGMENT>`, which it subscribes to:
# the first WRITE_CHECK_DELAY seconds after connecting (Home Assistant's client sends
# subscriptions after a short cooldown), then every WRITE_CHECK_INTERVAL seconds, at
# most WRITE_CHECK_PROBES times. None back WRITE_CHECK_INTERVAL seconds after the
# last one: the broker refuses HA AI's writes (a warning and a repair issue), and
# the check runs again every WRITE_RECHECK_INTERVAL seconds until a probe is back.
WRITE_CHECK_SEGMENT: Final = "probe"
WRITE_CHECK_DELAY: Final = 2.0
WRITE_CHECK_INTERVAL: Final = 3.0
WRITE_CHECK_PROBES: Final = 5
WRITE_CHECK_TTL: Final = 60
WRITE_RECHECK_INTERVAL: Final = 300.0
WRITES_REFUSED_ISSUE: Final = "mqtt_writes_refused"

SERVICE_PUBLISH_EVENT: Final = "publish_event"
SERVICE_RUN_ANALYSIS: Final = "run_analysis"
ATTR_PATH: Final = "path"
ATTR_PAYLOAD: Final = "payload"
ATTR_TTL: Final = "ttl"

# The key (and unique id suffix) of the household event entity, whose moments
# trigger the automations of household routines.
HOUSEHOLD_EVENT_KEY: Final = "household"
