"""A hostile LLM: each attack of its answers, through services, MQTT and notifications.

The model is untrusted input. Its automations only narrow HA AI's rendered ones,
a suggestion kind that deploys nothing never deploys its automation, its titles
never contradict the automation, its text is plain wherever it is shown, each
suggestion is enriched and announced once, and a slow or broken server delays
nothing longer than a deadline.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai.const import (
    CONF_MAX_SUGGESTIONS,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.model import (
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)
from custom_components.ha_ai.engine.suggestions.serialize import book_to_store
from custom_components.ha_ai.llm.enrich import LlmEnricher
from custom_components.ha_ai.suggestions.manager import STORE_KEY, STORE_VERSION
from custom_components.ha_ai.zigbee.coordinator import ZigbeeFindings

from .conftest import notifications, published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house, analyse, writable_automations
from .test_suggestions import FEATURE

BEDROOM_ON = {"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}
AT_0655 = [{"trigger": "time", "at": "06:55:00"}]
RENDERED_AT = "07:00:00"
HOSTILE_MARKUP = (
    "Read [the manual](https://evil.example/login) "
    "![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> "
    "<a href='https://evil.example'>here</a> or visit https://evil.example/phish"
)


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """A house whose automations.yaml HA AI can write into."""
    add_house(hass)
    hass.states.async_set("lock.front", "locked", {"friendly_name": "Front door"})
    await writable_automations(hass, tmp_path)


class Model:
    """A back-end whose answer a test chooses; it counts the prompts per kind."""

    def __init__(self, answer: Callable[[str], Any] | dict[str, Any]) -> None:
        self.answer = answer
        self.prompts: list[str] = []
        self.hang = False

    async def async_complete(
        self, messages: list[dict[str, str]], *, max_tokens: int
    ) -> str:
        prompt = messages[-1]["content"]
        self.prompts.append(prompt)
        if self.hang:
            await asyncio.Event().wait()
        answer = self.answer(prompt) if callable(self.answer) else self.answer
        return json.dumps(answer)

    async def async_test(self) -> None:
        return None


async def use_model(
    hass: HomeAssistant, entry: MockConfigEntry, model: Model, **bounds: float
) -> None:
    """Reload the entry with `model` as its language model, as set-up builds one."""
    limits = {"deadline": bounds["deadline"]} if "deadline" in bounds else {}
    enricher = LlmEnricher(
        model,
        max_calls=int(bounds.get("max_calls", 5)),
        timeout=bounds.get("timeout", 5),
        language="en",
        **limits,
    )
    with patch.object(LlmEnricher, "from_settings", return_value=enricher):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()


async def listed(hass: HomeAssistant, **filters: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", filters, blocking=True, return_response=True
    )
    assert response is not None
    return list(response["suggestions"])  # type: ignore[arg-type]


async def accept(hass: HomeAssistant, suggestion_id: str) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "accept_suggestion",
        {"suggestion_id": suggestion_id},
        blocking=True,
        return_response=True,
    )


def announced(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    return [p for _, p, _, _ in published(mqtt_mock, "ha-ai/suggestions/new")]


def nested_variables(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"value": 1}
    for _ in range(depth):
        inner = {"variables": inner}
    return inner


def hostile(**changes: Any) -> dict[str, Any]:
    return {"alias": "Better", "triggers": AT_0655, "actions": [BEDROOM_ON]} | changes


# The nine hostile automations that got past the checks before, each answered for
# the bedroom light routine.
ATTACKS = {
    "event_homeassistant_stop": hostile(
        actions=[BEDROOM_ON, {"event": "homeassistant_stop"}]
    ),
    "template_trigger_with_a_nested_loop": hostile(
        triggers=[
            {
                "trigger": "template",
                "value_template": "{% for i in range(3000) %}{% for j in "
                "range(3000) %}{% endfor %}{% endfor %}{{ true }}",
            }
        ]
    ),
    "webhook_trigger_reachable_from_outside": hostile(
        triggers=[{"trigger": "webhook", "webhook_id": "x", "local_only": False}]
    ),
    "entity_id_all": hostile(
        actions=[{"action": "light.turn_on", "target": {"entity_id": "all"}}]
    ),
    "templated_target": hostile(
        actions=[
            {
                "action": "light.turn_on",
                "target": {"entity_id": "{{ states.light | list }}"},
            }
        ]
    ),
    "action_on_another_device": hostile(
        actions=[{"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}}]
    ),
    "phishing_notification_listing_every_entity": hostile(
        actions=[
            BEDROOM_ON,
            {
                "action": "persistent_notification.create",
                "data": {
                    "message": "Log in at https://evil.example "
                    "{{ states | map(attribute='entity_id') | join(', ') }}"
                },
            },
        ]
    ),
    "nested_variables_300_levels": hostile(variables=nested_variables(300)),
    "unlock_the_front_door": hostile(
        actions=[{"action": "lock.unlock", "target": {"entity_id": "lock.front"}}]
    ),
}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.usefixtures("house")
async def test_hostile_llm_automations_are_never_attached_or_deployed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    tmp_path: Path,
    attack: str,
) -> None:
    model = Model(
        {"title": "Better", "description": "Trust me.", "automation": ATTACKS[attack]}
    )
    await use_model(hass, setup_entry, model)
    await analyse(hass, [MORNING])
    [suggestion] = await listed(hass)
    # The whole answer was dropped: HA AI's own words and automation stand.
    assert suggestion["automation"]["triggers"][0]["at"] == RENDERED_AT
    assert suggestion["title"] == "Turn on Bedroom light at 07:00 every day"
    assert suggestion["description"] != "Trust me."
    response = await accept(hass, suggestion["suggestion_id"])
    assert response["status"] == "deployed"
    written = (tmp_path / "automations.yaml").read_text()
    assert RENDERED_AT in written
    for word in ("homeassistant_stop", "webhook", "{{", "{%", "all", "kitchen"):
        assert word not in written
    assert "variables" not in written
    assert "lock" not in written
    # The store is written on unload, whole: nothing of the answer was kept.
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert "Trust me." not in json.dumps(hass_storage[STORE_KEY]["data"])


@pytest.mark.usefixtures("house")
async def test_a_narrowing_llm_automation_is_deployed_with_a_title_of_what_it_does(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    model = Model(
        {
            "title": "Lock the front door every night",
            "description": "A gentler start: a little earlier, on weekdays only.",
            "automation": hostile(
                conditions=[
                    {
                        "condition": "time",
                        "weekday": ["mon", "tue", "wed", "thu", "fri"],
                    }
                ]
            ),
        }
    )
    await use_model(hass, setup_entry, model)
    await analyse(hass, [MORNING])
    [suggestion] = await listed(hass)
    # The title says what the automation does, never what the model claimed.
    assert suggestion["title"] == "Turn on Bedroom light at 06:55 on weekdays"
    assert suggestion["description"].startswith("A gentler start")
    assert suggestion["automation"]["alias"] == suggestion["title"]
    [message] = announced(mqtt_mock)
    assert message["title"] == suggestion["title"]
    await accept(hass, suggestion["suggestion_id"])
    written = (tmp_path / "automations.yaml").read_text()
    assert "06:55:00" in written
    assert "Lock" not in written


@pytest.mark.usefixtures("house")
async def test_llm_words_go_when_the_merge_brings_another_automation_back(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    model = Model(
        {
            "title": "Lock the front door every night",
            "description": "Earlier light.",
            "automation": hostile(),
        }
    )
    await use_model(hass, setup_entry, model)
    await analyse(hass, [MORNING])
    # Seen again with the same rendered automation: the LLM's version stays.
    await analyse(hass, [MORNING])
    [kept] = await listed(hass)
    assert kept["description"] == "Earlier light."
    assert kept["automation"]["triggers"][0]["at"] == "06:55:00"
    assert kept["title"] == "Turn on Bedroom light at 06:55 every day"

    # The habit moved: the rendered automation changes, and every word the
    # model wrote for the old one goes with it.
    later = replace(MORNING, minute_of_day=7 * 60 + 30)
    await analyse(hass, [later])
    [moved] = await listed(hass)
    assert moved["automation"]["triggers"][0]["at"] == "07:30:00"
    assert moved["title"] == "Turn on Bedroom light at 07:30 every day"
    assert moved["description"] != "Earlier light."
    assert len(model.prompts) == 1  # enriched once, never again


FEATURE_ANSWER = {
    "title": "Know about vibration",
    "description": "Your window can tell you when it is knocked.",
    "automation": {
        "triggers": [
            {
                "trigger": "state",
                "entity_id": "binary_sensor.hall_window_vibration",
                "to": "on",
            }
        ],
        "actions": [
            {"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}
        ],
    },
}


@pytest.mark.usefixtures("house")
async def test_a_feature_suggestion_never_carries_or_deploys_an_llm_automation(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    hass.states.async_set(str(FEATURE.entity_id), "off")
    await use_model(hass, setup_entry, Model(FEATURE_ANSWER))
    setup_entry.runtime_data.insights.async_set_updated_data(
        ZigbeeFindings(findings=(FEATURE,))
    )
    await setup_entry.runtime_data.suggestions.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    [feature] = await listed(hass, kind="feature")
    assert feature["automation"] is None
    assert feature["description"] != FEATURE_ANSWER["description"]
    response = await accept(hass, feature["suggestion_id"])
    assert response["status"] == "accepted"
    assert (tmp_path / "automations.yaml").read_text() == "[]\n"
    assert [p for _, p, _, _ in published(mqtt_mock, "ha-ai/responses/")] == []


@pytest.mark.usefixtures("house")
async def test_a_stored_feature_with_an_automation_deploys_nothing_on_accept(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    tmp_path: Path,
) -> None:
    moment = dt_util.utcnow()
    tainted = Suggestion(
        suggestion_id="feature_0123456789ab",
        kind=SuggestionKind.FEATURE,
        category="security",
        title=FEATURE.title,
        description="Deployed by an LLM before.",
        confidence=0.6,
        value=0.5,
        entities=(FEATURE.entity_id or "",),
        source={},
        automation=FEATURE_ANSWER["automation"],
        status=SuggestionStatus.NEW,
        created_at=moment,
        updated_at=moment,
        last_seen=moment,
        enriched=True,
    )
    hass_storage[STORE_KEY] = {
        "version": STORE_VERSION,
        "key": STORE_KEY,
        "data": {"book": book_to_store(SuggestionBook([tainted])), "unannounced": []},
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    [feature] = await listed(hass)
    assert feature["automation"] is None
    response = await accept(hass, tainted.suggestion_id)
    assert response["status"] == "accepted"
    assert (tmp_path / "automations.yaml").read_text() == "[]\n"


_LIVE_MARKUP = re.compile(r"\]\(|!\[|<[A-Za-z/!]|https?://|www\.", re.IGNORECASE)


@pytest.mark.usefixtures("house")
async def test_markdown_images_and_html_from_answers_are_shown_nowhere(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await use_model(
        hass,
        setup_entry,
        Model({"title": f"Light {HOSTILE_MARKUP}", "description": HOSTILE_MARKUP}),
    )
    await analyse(hass, [MORNING])
    [suggestion] = await listed(hass)
    assert "the manual" in suggestion["description"]
    [message] = announced(mqtt_mock)
    [notification] = (await notifications(hass, hass_ws_client)).values()
    for text in (
        suggestion["title"],
        suggestion["description"],
        message["title"],
        message["description"],
        notification["title"],
        notification["message"],
    ):
        assert not _LIVE_MARKUP.search(text), text


@pytest.mark.usefixtures("house")
async def test_a_device_name_with_a_markdown_link_is_literal_in_notifications(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    hass.states.async_set(
        "light.bedroom",
        "off",
        {"friendly_name": "[Click me](https://evil.example) <b>bold</b>"},
    )
    await analyse(hass, [MORNING])
    [notification] = (await notifications(hass, hass_ws_client)).values()
    # Every Markdown and HTML character is escaped: it shows, it does nothing.
    assert "\\[Click me\\]\\(https://evil\\.example\\)" in notification["message"]
    assert "[Click me](" not in notification["message"]
    assert "<b>" not in notification["title"] + notification["message"]
    [message] = announced(mqtt_mock)
    [suggestion] = await listed(hass)
    for text in (message["title"], suggestion["title"], suggestion["description"]):
        assert not _LIVE_MARKUP.search(text), text
        assert "Click me" in text


@pytest.mark.parametrize(
    "entry_options", [{**DEFAULT_OPTIONS, CONF_MAX_SUGGESTIONS: 1}]
)
@pytest.mark.usefixtures("house")
async def test_a_suggestion_pushed_past_the_limit_is_not_enriched_or_announced_again(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    model = Model({"title": "t", "description": "Friendly."})
    await use_model(hass, setup_entry, model)
    await analyse(hass, [MORNING])
    [morning] = await listed(hass)
    # A better one takes its place; then that one is dismissed, and the morning
    # routine makes the cut again.
    await analyse(hass, [MORNING, COFFEE])
    [coffee] = await listed(hass)
    assert coffee["suggestion_id"] != morning["suggestion_id"]
    await hass.services.async_call(
        DOMAIN,
        "dismiss_suggestion",
        {"suggestion_id": coffee["suggestion_id"]},
        blocking=True,
    )
    await analyse(hass, [MORNING, COFFEE])
    [back] = await listed(hass, status="new")
    assert back["suggestion_id"] == morning["suggestion_id"]
    # Announced (MQTT, notification) and enriched once each, not twice.
    ids = [message["suggestion_id"] for message in announced(mqtt_mock)]
    assert ids.count(morning["suggestion_id"]) == 1
    assert len(model.prompts) == 2
    # Its first announcement's summary went with the last suggestion it listed.
    assert await notifications(hass, hass_ws_client) == {}

    # After a restart too.
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    await use_model(hass, setup_entry, model)
    await analyse(hass, [MORNING, COFFEE])
    ids = [message["suggestion_id"] for message in announced(mqtt_mock)]
    assert ids.count(morning["suggestion_id"]) == 1
    assert len(model.prompts) == 2


@pytest.mark.usefixtures("house")
async def test_a_server_that_never_answers_delays_announcements_only_to_the_deadline(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    model = Model({"title": "t", "description": "never sent"})
    model.hang = True
    await use_model(hass, setup_entry, model, timeout=0.05, deadline=0.1)
    await analyse(hass, [MORNING, COFFEE])
    # Both announced, in HA AI's own words, although the model never answered.
    messages = announced(mqtt_mock)
    assert len(messages) == 2
    assert all(message["description"] != "never sent" for message in messages)
    assert len(model.prompts) <= 2


@pytest.mark.usefixtures("house")
async def test_a_narrowing_that_home_assistant_refuses_is_dropped(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    # Within the narrowing rules, but no automation Home Assistant accepts.
    limitless = hostile(
        triggers=[{"trigger": "numeric_state", "entity_id": "light.bedroom"}]
    )
    await use_model(
        hass,
        setup_entry,
        Model({"title": "t", "description": "Refused.", "automation": limitless}),
    )
    await analyse(hass, [MORNING])
    [suggestion] = await listed(hass)
    assert suggestion["automation"]["triggers"][0]["at"] == RENDERED_AT
    assert suggestion["description"] != "Refused."


class DismissingModel(Model):
    """Answers well, but the user dismisses the suggestion while it thinks."""

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__({"title": "t", "description": "Too late."})
        self.hass = hass

    async def async_complete(
        self, messages: list[dict[str, str]], *, max_tokens: int
    ) -> str:
        for suggestion in await listed(self.hass, status="new"):
            await self.hass.services.async_call(
                DOMAIN,
                "dismiss_suggestion",
                {"suggestion_id": suggestion["suggestion_id"]},
                blocking=True,
            )
        return await super().async_complete(messages, max_tokens=max_tokens)


@pytest.mark.usefixtures("house")
async def test_a_suggestion_dismissed_while_the_llm_answers_takes_no_words(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    await use_model(hass, setup_entry, DismissingModel(hass))
    await analyse(hass, [MORNING])
    [suggestion] = await listed(hass)
    assert suggestion["status"] == "dismissed"
    assert suggestion["description"] != "Too late."
    assert announced(mqtt_mock) == []
