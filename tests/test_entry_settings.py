"""The settings object every part of an entry is built from."""

from __future__ import annotations

from datetime import time, timedelta

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.const import (
    CONF_LLM_API_KEY,
    CONF_LLM_PROVIDER,
    CONF_NAMESPACE_PREFIX,
    CONF_PAIR_DELAY_SECONDS,
    CONF_QOS,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
    DOMAIN,
    LLM_PROVIDER_OPENAI,
)
from custom_components.ha_ai.entry_settings import (
    HaAiSettings,
    settings_values,
    split_settings,
)

SECRET = "shared-secret"  # noqa: S105 - a test value


def test_an_empty_entry_has_the_defaults() -> None:
    settings = HaAiSettings.from_entry(MockConfigEntry(domain=DOMAIN))
    assert settings.values == DEFAULT_OPTIONS
    assert settings.bus.namespace_prefix == "ha-ai"
    assert settings.zigbee_base_topic == "zigbee2mqtt"
    assert settings.cameras.topic_prefix == "liveobject"
    assert settings.schedule.run_at == time(3)
    assert settings.remote_deploy is None
    assert settings.llm.provider == "none"
    assert settings.feedback.override_window == timedelta(minutes=10)
    assert settings.suggestions.stale_after == timedelta(days=14)


def test_data_wins_over_options_and_both_over_the_defaults() -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_NAMESPACE_PREFIX: "house-ai"},
        options={CONF_NAMESPACE_PREFIX: "stale", CONF_QOS: 2},
    )
    settings = HaAiSettings.from_entry(entry)
    assert settings.bus.namespace_prefix == "house-ai"
    assert settings.bus.qos == 2
    assert settings.values[CONF_QOS] == 2


def test_the_settings_are_read_only() -> None:
    settings = HaAiSettings.from_values(settings_values({}, {CONF_QOS: 0}))
    assert settings.bus.qos == 0
    assert not hasattr(settings.values, "__setitem__")


def test_remote_deploy_needs_both_the_switch_and_a_secret() -> None:
    def remote(**values: object) -> object:
        return HaAiSettings.from_values(settings_values(values, {})).remote_deploy

    assert remote(**{CONF_REMOTE_DEPLOY: True}) is None
    assert remote(**{CONF_REMOTE_SECRET: "s"}) is None
    deploy = remote(**{CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: "s"})
    assert deploy is not None


def test_secrets_stay_out_of_the_representation() -> None:
    settings = HaAiSettings.from_values(
        settings_values(
            {
                CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI,
                CONF_LLM_API_KEY: "sk-secret-key",
                CONF_REMOTE_DEPLOY: True,
                CONF_REMOTE_SECRET: SECRET,
            },
            {CONF_PAIR_DELAY_SECONDS: 90},
        )
    )
    assert settings.mining.pair_max_delay == timedelta(seconds=90)
    assert settings.llm.api_key == "sk-secret-key"
    assert settings.remote_deploy is not None
    assert settings.remote_deploy.secret == SECRET
    text = repr(settings)
    assert "sk-secret-key" not in text
    assert SECRET not in text


def test_split_keeps_the_connection_in_data_and_the_rest_in_options() -> None:
    data, options = split_settings({**DEFAULT_OPTIONS, "unknown": 1})
    assert set(data) == {
        "zigbee2mqtt_base_topic",
        "namespace_prefix",
        "camera_topic_prefix",
        "llm_provider",
        "llm_agent_id",
        "llm_ai_task_entity",
        "llm_base_url",
        "llm_api_key",
        "llm_model",
        "llm_timeout",
        "llm_max_calls",
        "remote_deploy_secret",
    }
    assert options["unknown"] == 1
    assert not set(data) & set(options)
    assert {**data, **options} == {**DEFAULT_OPTIONS, "unknown": 1}
