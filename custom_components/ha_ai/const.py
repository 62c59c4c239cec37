"""Constants shared by the Home Assistant side of HA AI."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "ha_ai"
LOGGER = logging.getLogger(__package__)

# Settings, kept in the config entry's options (the single source of truth that the
# config, options and reconfigure flows all edit).
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
CONF_EXCLUDED_ENTITIES: Final = "excluded_entities"
CONF_EXCLUDED_AREAS: Final = "excluded_areas"
CONF_EXCLUDED_DOMAINS: Final = "excluded_domains"

# The form groups the settings: topics first, then two collapsed sections.
SECTION_DELIVERY: Final = "delivery"
SECTION_DEVICE_ANOMALIES: Final = "device_anomalies"
SECTION_HABIT_MINING: Final = "habit_mining"

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
    CONF_EXCLUDED_ENTITIES: [],
    CONF_EXCLUDED_AREAS: [],
    CONF_EXCLUDED_DOMAINS: [],
}

# Home Assistant's birth topic, used when the mqtt entry does not name its own.
DEFAULT_BIRTH_TOPIC: Final = "homeassistant/status"

# Inbound messages larger than this are dropped before they are parsed.
MAX_INBOUND_PAYLOAD_BYTES: Final = 256 * 1024
# Events a user publishes through the service are limited to this size.
MAX_SERVICE_PAYLOAD_BYTES: Final = 64 * 1024
# Unloading never waits longer than this for the broker to take the `offline` status.
STATUS_PUBLISH_TIMEOUT: Final = 5.0

SERVICE_PUBLISH_EVENT: Final = "publish_event"
SERVICE_RUN_ANALYSIS: Final = "run_analysis"
ATTR_PATH: Final = "path"
ATTR_PAYLOAD: Final = "payload"
ATTR_TTL: Final = "ttl"
