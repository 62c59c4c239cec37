"""The form behind the config, options and reconfigure flows, and its validation.

The form shows the three topic prefixes, then collapsed sections (delivery, device
anomalies, habit mining, suggestions, automation safety, remote deploy, cameras).
Set-up shows all of it, reconfiguring the topics only, the options flow the
sections only. Validation works on every setting by its key (`settings_values`);
settings the form does not show (the LLM, the remote deploy secret) are kept.
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
    BooleanSelector,
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
    CONF_ALLOWED_SERVICES,
    CONF_ANALYSIS_TIME,
    CONF_ANNOUNCE_FORMING_ROUTINES,
    CONF_BATTERY_THRESHOLD,
    CONF_CAMERA_FORGET_DAYS,
    CONF_CAMERA_QUIET_MINUTES,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_EXCLUDED_ENTITIES,
    CONF_HISTORY_DAYS,
    CONF_LAST_SEEN_STALE_HOURS,
    CONF_MAX_SUGGESTIONS,
    CONF_MESSAGE_TTL,
    CONF_NEW_REMOTE_SECRET,
    CONF_NOTIFY_SUGGESTIONS,
    CONF_OVERRIDE_WINDOW_MINUTES,
    CONF_PAIR_DELAY_SECONDS,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    CONF_REMOTE_DEPLOY,
    CONF_SENSITIVE_SERVICES_ALLOWED,
    CONF_STALE_AFTER_DAYS,
    CONF_SUGGESTION_EXPIRY_DAYS,
    CONF_UNAVAILABLE_MINUTES,
    MAX_CAMERA_QUIET_MINUTES,
    MAX_HISTORY_DAYS,
    MAX_LAST_SEEN_STALE_HOURS,
    MAX_MAX_SUGGESTIONS,
    MAX_MESSAGE_TTL,
    MAX_OVERRIDE_WINDOW_MINUTES,
    MAX_PAIR_DELAY_SECONDS,
    MAX_QUEUE_SIZE,
    MAX_UNAVAILABLE_MINUTES,
    MIN_HISTORY_DAYS,
    MIN_MESSAGE_TTL,
    MIN_PAIR_DELAY_SECONDS,
    MIN_QUEUE_SIZE,
    SECTION_AUTOMATION_SAFETY,
    SECTION_CAMERAS,
    SECTION_DELIVERY,
    SECTION_DEVICE_ANOMALIES,
    SECTION_HABIT_MINING,
    SECTION_REMOTE_DEPLOY,
    SECTION_SUGGESTIONS,
    TOPIC_PREFIX_FIELDS,
)
from .engine.automations.safety import (
    DEFAULT_ALLOWED_SERVICES,
    SENSITIVE_SERVICES,
    is_service_pattern,
)
from .engine.habits.model import LOGGED_DOMAINS
from .engine.topics import overlapping_prefixes, validate_topic_prefix
from .entry_settings import settings_values

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
        CONF_PAIR_DELAY_SECONDS,
        CONF_EXCLUDED_ENTITIES,
        CONF_EXCLUDED_AREAS,
        CONF_EXCLUDED_DOMAINS,
        CONF_ANNOUNCE_FORMING_ROUTINES,
    ),
    SECTION_SUGGESTIONS: (
        CONF_MAX_SUGGESTIONS,
        CONF_SUGGESTION_EXPIRY_DAYS,
        CONF_NOTIFY_SUGGESTIONS,
        CONF_OVERRIDE_WINDOW_MINUTES,
        CONF_STALE_AFTER_DAYS,
    ),
    SECTION_AUTOMATION_SAFETY: (
        CONF_ALLOWED_SERVICES,
        CONF_SENSITIVE_SERVICES_ALLOWED,
    ),
    SECTION_REMOTE_DEPLOY: (CONF_REMOTE_DEPLOY, CONF_NEW_REMOTE_SECRET),
    SECTION_CAMERAS: (CONF_CAMERA_QUIET_MINUTES, CONF_CAMERA_FORGET_DAYS),
}
WHOLE_NUMBER_FIELDS: dict[str, tuple[int, int, str]] = {
    CONF_MESSAGE_TTL: (MIN_MESSAGE_TTL, MAX_MESSAGE_TTL, "s"),
    CONF_QUEUE_SIZE: (MIN_QUEUE_SIZE, MAX_QUEUE_SIZE, "messages"),
    CONF_UNAVAILABLE_MINUTES: (1, MAX_UNAVAILABLE_MINUTES, "min"),
    CONF_BATTERY_THRESHOLD: (1, 100, "%"),
    CONF_LAST_SEEN_STALE_HOURS: (1, MAX_LAST_SEEN_STALE_HOURS, "h"),
    CONF_HISTORY_DAYS: (MIN_HISTORY_DAYS, MAX_HISTORY_DAYS, "d"),
    CONF_PAIR_DELAY_SECONDS: (MIN_PAIR_DELAY_SECONDS, MAX_PAIR_DELAY_SECONDS, "s"),
    CONF_MAX_SUGGESTIONS: (1, MAX_MAX_SUGGESTIONS, "suggestions"),
    CONF_SUGGESTION_EXPIRY_DAYS: (1, MAX_HISTORY_DAYS, "d"),
    CONF_OVERRIDE_WINDOW_MINUTES: (1, MAX_OVERRIDE_WINDOW_MINUTES, "min"),
    CONF_STALE_AFTER_DAYS: (1, MAX_HISTORY_DAYS, "d"),
    CONF_CAMERA_QUIET_MINUTES: (1, MAX_CAMERA_QUIET_MINUTES, "min"),
    CONF_CAMERA_FORGET_DAYS: (1, MAX_HISTORY_DAYS, "d"),
}
LIST_FIELDS = (
    CONF_EXCLUDED_ENTITIES,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_ALLOWED_SERVICES,
    CONF_SENSITIVE_SERVICES_ALLOWED,
)
BOOLEAN_FIELDS = (
    CONF_NOTIFY_SUGGESTIONS,
    CONF_ANNOUNCE_FORMING_ROUTINES,
    CONF_REMOTE_DEPLOY,
    CONF_NEW_REMOTE_SECRET,
)


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
    if field in BOOLEAN_FIELDS:
        return BooleanSelector()
    if field == CONF_ALLOWED_SERVICES:
        return SelectSelector(
            SelectSelectorConfig(
                options=list(DEFAULT_ALLOWED_SERVICES),
                multiple=True,
                custom_value=True,
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    if field == CONF_SENSITIVE_SERVICES_ALLOWED:
        return SelectSelector(
            SelectSelectorConfig(
                options=list(SENSITIVE_SERVICES),
                multiple=True,
                custom_value=True,  # `script.morning`: sensitive ones are named
                mode=SelectSelectorMode.DROPDOWN,
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


def settings_schema(*, topics: bool = True, sections: bool = True) -> vol.Schema:
    """Return the form (the topics, the sections, or both); flows fill it in."""
    defaults = form_values(settings_values({}, {}))
    fields: dict[vol.Marker, Any] = {}
    if topics:
        for field in TOPIC_PREFIX_FIELDS:
            fields[vol.Required(field, default=defaults[field])] = TextSelector()
    if not sections:
        return vol.Schema(fields)
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
    """Return the field's marker: lists and switches may stay empty, the rest not."""
    if field in LIST_FIELDS or field in BOOLEAN_FIELDS:
        return vol.Optional(field, default=default)
    return vol.Required(field, default=default)


def form_values(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Return every setting by its key in the shape of the form (sections nested)."""
    values: dict[str, Any] = {field: flat[field] for field in TOPIC_PREFIX_FIELDS}
    for name, section_fields in SECTIONS.items():
        values[name] = {field: flat.get(field, False) for field in section_fields}
    values[SECTION_DELIVERY][CONF_QOS] = str(flat[CONF_QOS])
    return values


def validate_settings(
    user_input: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return every setting by its key and the errors per field (empty if valid).

    `current` holds every setting before the form (`settings_values`); those the
    form does not show are kept. `CONF_NEW_REMOTE_SECRET` stays in the result as
    a request for the flow, which replaces it with a new secret.
    """
    options: dict[str, Any] = dict(current)
    options[CONF_NEW_REMOTE_SECRET] = False
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
    _normalise(options)
    for field in (CONF_ALLOWED_SERVICES, CONF_SENSITIVE_SERVICES_ALLOWED):
        if not all(map(is_service_pattern, options[field])):
            errors[field] = "invalid_service"
    try:
        options[CONF_ANALYSIS_TIME] = time.fromisoformat(
            str(options[CONF_ANALYSIS_TIME])
        ).isoformat()
    except ValueError:
        errors[CONF_ANALYSIS_TIME] = "invalid_time"
    return options, errors


def _normalise(options: dict[str, Any]) -> None:
    """Give numbers, lists and switches their stored types, in place."""
    for field in (CONF_QOS, *WHOLE_NUMBER_FIELDS):
        options[field] = int(str(options[field]).split(".", maxsplit=1)[0])
    for field in LIST_FIELDS:
        value = options[field]
        options[field] = sorted({value} if isinstance(value, str) else set(value))
    for field in BOOLEAN_FIELDS:
        options[field] = bool(options[field])
    for field in (CONF_ALLOWED_SERVICES, CONF_SENSITIVE_SERVICES_ALLOWED):
        options[field] = sorted(
            {str(service).strip().lower() for service in options[field]}
        )
