"""The form behind the config, options and reconfigure flows, and its validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .const import (
    CONF_MESSAGE_TTL,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    DEFAULT_OPTIONS,
    MAX_MESSAGE_TTL,
    MAX_QUEUE_SIZE,
    MIN_MESSAGE_TTL,
    MIN_QUEUE_SIZE,
    TOPIC_PREFIX_FIELDS,
)
from .engine.topics import overlapping_prefixes, validate_topic_prefix

PREFIX_OVERLAP_ERROR = "prefix_overlap"


def settings_schema() -> vol.Schema:
    """Return the form; flows fill it with the current values as suggestions."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(field, default=DEFAULT_OPTIONS[field]): TextSelector()
        for field in TOPIC_PREFIX_FIELDS
    }
    fields[vol.Required(CONF_QOS, default=str(DEFAULT_OPTIONS[CONF_QOS]))] = (
        SelectSelector(
            SelectSelectorConfig(
                options=["0", "1", "2"],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_QOS,
            )
        )
    )
    fields[
        vol.Required(CONF_MESSAGE_TTL, default=DEFAULT_OPTIONS[CONF_MESSAGE_TTL])
    ] = _whole_number(MIN_MESSAGE_TTL, MAX_MESSAGE_TTL, "s")
    fields[vol.Required(CONF_QUEUE_SIZE, default=DEFAULT_OPTIONS[CONF_QUEUE_SIZE])] = (
        _whole_number(MIN_QUEUE_SIZE, MAX_QUEUE_SIZE, None)
    )
    return vol.Schema(fields)


def _whole_number(minimum: int, maximum: int, unit: str | None) -> NumberSelector:
    config = NumberSelectorConfig(
        min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return stored options in the shape the form shows them (QoS as text)."""
    values = {**DEFAULT_OPTIONS, **options}
    values[CONF_QOS] = str(values[CONF_QOS])
    return values


def validate_settings(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the options to store and the errors per field (empty when valid)."""
    options = {**DEFAULT_OPTIONS, **user_input}
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
    options[CONF_QOS] = int(options[CONF_QOS])
    options[CONF_MESSAGE_TTL] = int(options[CONF_MESSAGE_TTL])
    options[CONF_QUEUE_SIZE] = int(options[CONF_QUEUE_SIZE])
    return options, errors
