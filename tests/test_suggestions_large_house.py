"""A refresh over a huge Zigbee house: bounded, best first, off the event loop."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_MAX_SUGGESTIONS,
    CONF_NOTIFY_SUGGESTIONS,
    DEFAULT_OPTIONS,
)
from custom_components.ha_ai.engine.suggestions import findings as findings_module
from custom_components.ha_ai.engine.suggestions.findings import suggestion_id
from custom_components.ha_ai.engine.suggestions.model import SuggestionKind
from custom_components.ha_ai.engine.zigbee.judge import UnusedCapability
from custom_components.ha_ai.suggestions import manager as suggestions_module
from custom_components.ha_ai.zigbee.coordinator import ZigbeeFindings

from .conftest import published

DEVICES = 20_000
KEPT = 25
TEMPLATE = UnusedCapability(
    opportunity_id="",
    ieee_address="",
    friendly_name="",
    device_model="Aqara WSDCGQ11LM",
    area=None,
    capability_key="temperature",
    property_name="temperature",
    feature_kind="temperature",
    reason="not_referenced",
    entity_id=None,
    title="Your Aqara WSDCGQ11LM can measure temperature",
    description="Nothing uses it yet.",
    how_to_start="Add an automation.",
    gain=3,
    ease=3,
    score=1.0,
)
OPTIONS = {
    **DEFAULT_OPTIONS,
    CONF_MAX_SUGGESTIONS: KEPT,
    CONF_NOTIFY_SUGGESTIONS: False,
}


def huge_house() -> list[UnusedCapability]:
    """One finding per device; every 1,000th device has a better capability."""
    findings = []
    for number in range(DEVICES):
        ieee = f"0x{0x00158D0000000000 + number:016x}"
        findings.append(
            replace(
                TEMPLATE,
                opportunity_id=f"{ieee}/temperature",
                ieee_address=ieee,
                friendly_name=f"Device {number}",
                score=5.0 if number % 1_000 == 0 else 1.0,
            )
        )
    return sorted(findings, key=lambda item: -item.score)


def feature_id(finding: UnusedCapability) -> str:
    return suggestion_id(SuggestionKind.FEATURE, finding.opportunity_id)


@pytest.mark.parametrize("entry_options", [OPTIONS])
async def test_a_twenty_thousand_device_refresh_keeps_the_bound_and_the_best(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    runtime = setup_entry.runtime_data
    findings = huge_house()
    runtime.insights.async_set_updated_data(ZigbeeFindings(findings=tuple(findings)))
    mqtt_mock.async_publish.reset_mock()

    kept, new = await runtime.suggestions.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert (kept, new) == (KEPT, KEPT)
    ids = {item.suggestion_id for item in runtime.suggestions.query()}
    best = {feature_id(item) for item in findings if item.score == 5.0}
    assert best <= ids  # the twenty best capabilities are among those kept
    assert len(published(mqtt_mock, "ha-ai/suggestions/new")) == KEPT

    # The same house again: nothing is new, nothing is announced twice.
    mqtt_mock.async_publish.reset_mock()
    assert await runtime.suggestions.async_refresh() == (KEPT, 0)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai/suggestions/new") == []


@pytest.mark.parametrize("entry_options", [OPTIONS])
async def test_a_huge_house_is_drafted_off_the_event_loop_in_slices(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    runtime = setup_entry.runtime_data
    runtime.insights.async_set_updated_data(
        ZigbeeFindings(findings=tuple(huge_house()))
    )
    loop_thread = threading.get_ident()
    drafted_in: set[int] = set()
    jobs: list[str] = []
    draft = findings_module.draft_from_capability
    add_job = hass.async_add_executor_job

    def drafting(finding: UnusedCapability) -> Any:
        drafted_in.add(threading.get_ident())
        return draft(finding)

    def executor_job(target: Any, *args: Any) -> Any:
        jobs.append(getattr(target, "__name__", ""))
        return add_job(target, *args)

    with (
        patch.object(findings_module, "draft_from_capability", drafting),
        patch.object(hass, "async_add_executor_job", executor_job),
    ):
        await runtime.suggestions.async_refresh()

    assert drafted_in
    assert loop_thread not in drafted_in
    assert jobs.count("run_for") > 1  # several short jobs, not one long one


async def test_a_small_house_is_drafted_in_place(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    runtime = setup_entry.runtime_data
    runtime.insights.async_set_updated_data(
        ZigbeeFindings(
            findings=tuple(huge_house()[: suggestions_module.DRAFT_IN_PLACE_FINDINGS])
        )
    )
    with patch.object(
        suggestions_module, "async_run_in_slices", side_effect=AssertionError
    ):
        kept, _ = await runtime.suggestions.async_refresh()
    assert kept == DEFAULT_OPTIONS[CONF_MAX_SUGGESTIONS]
