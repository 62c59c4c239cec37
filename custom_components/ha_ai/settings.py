"""The form behind the config, options and reconfigure flows, and its validation.

The form shows the three topic prefixes, then two collapsed sections (delivery and
device anomalies). The entry stores the settings flat, in its options.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

import voluptuous as vol
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    AreaSelector,
    AreaSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)

from .const import (
    CONF_ANALYSIS_TIME,
    CONF_BATTERY_THRESHOLD,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_EXCLUDED_ENTITIES,
    CONF_HISTORY_DAYS,
    CONF_LAST_SEEN_STALE_HOURS,
    CONF_MESSAGE_TTL,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    CONF_UNAVAILABLE_MINUTES,
    DEFAULT_OPTIONS,
    MAX_HISTORY_DAYS,
    MAX_LAST_SEEN_STALE_HOURS,
    MAX_MESSAGE_TTL,
    MAX_QUEUE_SIZE,
    MAX_UNAVAILABLE_MINUTES,
    MIN_HISTORY_DAYS,
    MIN_MESSAGE_TTL,
    MIN_QUEUE_SIZE,
    SECTION_DELIVERY,
    SECTION_DEVICE_ANOMALIES,
    SECTION_HABIT_MINING,
    TOPIC_PREFIX_FIELDS,
)
from .engine.habits.model import LOGGED_DOMAINS
from .engine.topics import overlapping_prefixes, validate_topic_prefix

PREFIX_OVERLAP_ERROR = "prefix_overlap"
SECTIONS: dict[str, tuple[str, ...]] = {
    SECTION_DELIVERY: (CONF_QOS, CONF_MESSAGE_TTL, CONF_QUEUE_SIZE),
    SECTION_DEVICE_ANOMALIES: (
        CONF_UNAVAILABLE_MINUTES,
        CONF_BATTERY_THRESHOLD,
        CONF_LAST_SEEN_STALE_HOURS,
    ),
    SECTION_HABIT_MINING: (
        CONF_ANALYSIS_TIME,
        CONF_HISTORY_DAYS,
        CONF_EXCLUDED_ENTITIES,
        CONF_EXCLUDED_AREAS,
        CONF_EXCLUDED_DOMAINS,
    ),
}
WHOLE_NUMBER_FIELDS: dict[str, tuple[int, int, str]] = {
    CONF_MESSAGE_TTL: (MIN_MESSAGE_TTL, MAX_MESSAGE_TTL, "s"),
    CONF_QUEUE_SIZE: (MIN_QUEUE_SIZE, MAX_QUEUE_SIZE, "messages"),
    CONF_UNAVAILABLE_MINUTES: (1, MAX_UNAVAILABLE_MINUTES, "min"),
    CONF_BATTERY_THRESHOLD: (1, 100, "%"),
    CONF_LAST_SEEN_STALE_HOURS: (1, MAX_LAST_SEEN_STALE_HOURS, "h"),
    CONF_HISTORY_DAYS: (MIN_HISTORY_DAYS, MAX_HISTORY_DAYS, "d"),
}
LIST_FIELDS = (CONF_EXCLUDED_ENTITIES, CONF_EXCLUDED_AREAS, CONF_EXCLUDED_DOMAINS)


def _selector(field: str) -> Selector[Any]:
    if field == CONF_ANALYSIS_TIME:
        return TimeSelector()
    if field == CONF_EXCLUDED_ENTITIES:
        return EntitySelector(
            EntitySelectorConfig(multiple=True, domain=sorted(LOGGED_DOMAINS))
        )
    if field == CONF_EXCLUDED_AREAS:
        return AreaSelector(AreaSelectorConfig(multiple=True))
    if field == CONF_EXCLUDED_DOMAINS:
        return SelectSelector(
            SelectSelectorConfig(
                options=sorted(LOGGED_DOMAINS),
                multiple=True,
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_EXCLUDED_DOMAINS,
            )
        )
    if field == CONF_QOS:
        return SelectSelector(
            SelectSelectorConfig(
                options=["0", "1", "2"],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_QOS,
            )
        )
    minimum, maximum, unit = WHOLE_NUMBER_FIELDS[field]
    config = NumberSelectorConfig(
        min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def settings_schema() -> vol.Schema:
    """Return the form; flows fill it with the current values as suggestions."""
    defaults = form_values({})
    fields: dict[vol.Marker, Any] = {
        vol.Required(field, default=DEFAULT_OPTIONS[field]): TextSelector()
        for field in TOPIC_PREFIX_FIELDS
    }
    for name, section_fields in SECTIONS.items():
        # Optional, and without a default: the frontend fills a section from the
        # suggested values only when the section itself has no default, and a form
        # sent without it (a script driving the flow over REST) takes the defaults.
        fields[vol.Optional(name)] = section(
            vol.Schema(
                {
                    _marker(field, defaults[name][field]): _selector(field)
                    for field in section_fields
                }
            ),
            {"collapsed": True},
        )
    return vol.Schema(fields)


def _marker(field: str, default: object) -> vol.Marker:
    """Return the field's marker: exclusions may stay empty, the rest is required."""
    if field in LIST_FIELDS:
        return vol.Optional(field, default=default)
    return vol.Required(field, default=default)


def form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return stored (flat) options in the shape of the form (sections nested)."""
    flat = {**DEFAULT_OPTIONS, **options}
    values: dict[str, Any] = {field: flat[field] for field in TOPIC_PREFIX_FIELDS}
    for name, section_fields in SECTIONS.items():
        values[name] = {field: flat[field] for field in section_fields}
    values[SECTION_DELIVERY][CONF_QOS] = str(flat[CONF_QOS])
    return values


def validate_settings(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the flat options to store and the errors per field (empty if valid)."""
    options: dict[str, Any] = dict(DEFAULT_OPTIONS)
    for key, value in user_input.items():
        if key in SECTIONS and isinstance(value, Mapping):
            options.update(value)
        else:
            options[key] = value
    errors: dict[str, str] = {}
    for field in TOPIC_PREFIX_FIELDS:
        options[field] = str(options[field]).strip()
        if (error := validate_topic_prefix(options[field])) is not None:
            errors[field] = error.value
    valid_prefixes = {
        field: options[field] for field in TOPIC_PREFIX_FIELDS if field not in errors
    }
    for field in overlapping_prefixes(valid_prefixes):
        errors[field] = PREFIX_OVERLAP_ERROR
    for field in (CONF_QOS, *WHOLE_NUMBER_FIELDS):
        options[field] = int(str(options[field]).split(".", maxsplit=1)[0])
    for field in LIST_FIELDS:
        value = options[field]
        options[field] = sorted({value} if isinstance(value, str) else set(value))
    try:
        options[CONF_ANALYSIS_TIME] = time.fromisoformat(
            str(options[CONF_ANALYSIS_TIME])
        ).isoformat()
    except ValueError:
        errors[CONF_ANALYSIS_TIME] = "invalid_time"
    return options, errors
