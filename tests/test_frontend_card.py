"""The card: served by HA AI and loaded on the dashboards, once per run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.frontend import CARD_FILES, card_module_url

ROOT = Path(__file__).parent.parent
CARD_FOLDER = ROOT / "custom_components" / "ha_ai" / "frontend"
EXAMPLE_DASHBOARD = ROOT / "examples" / "dashboard.yaml"


@pytest.fixture
async def frontend(hass: HomeAssistant, tmp_path: Path) -> None:
    """Set the frontend up on an empty build, so no frontend package is needed."""
    build = tmp_path / "frontend_build" / "hass_frontend"
    for folder in ("static", "frontend_latest", "frontend_es5"):
        (build / folder).mkdir(parents=True)
    assert await async_setup_component(
        hass, "frontend", {"frontend": {"development_repo": str(build.parent)}}
    )


def card_modules(hass: HomeAssistant) -> list[str]:
    """Return the extra modules the dashboards load that are HA AI's."""
    return sorted(
        url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if "ha_ai" in url
    )


@pytest.mark.usefixtures("frontend", "mqtt_mock")
async def test_card_is_loaded_once_even_across_reloads(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """The module is announced once, with the version in its address."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    version = config_entry.runtime_data.version
    assert card_modules(hass) == [f"/ha_ai_frontend/ha-ai-card.js?v={version}"]
    for _ in range(2):
        assert await hass.config_entries.async_reload(config_entry.entry_id)
        await hass.async_block_till_done()
    assert card_modules(hass) == [card_module_url(version)]


@pytest.mark.usefixtures("frontend")
async def test_card_files_are_served(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The module's address and the file it imports serve the card's own files."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()
    for name in CARD_FILES:
        response = await client.get(
            f"/ha_ai_frontend/{name}?v={config_entry.runtime_data.version}"
        )
        assert response.status == 200
        # Browsers load a module only when it is served as JavaScript.
        assert response.content_type in {"text/javascript", "application/javascript"}
        assert await response.text() == (CARD_FOLDER / name).read_text()
    response = await client.get("/ha_ai_frontend/__init__.py")
    assert response.status == 404


async def test_nothing_is_registered_without_the_frontend(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """A Home Assistant without the frontend has no dashboards to load the card."""
    assert "frontend" not in hass.config.components
    assert DATA_EXTRA_MODULE_URL not in hass.data


def dashboard_entities(node: object) -> set[str]:
    """Return every entity id the example dashboard's cards name."""
    if isinstance(node, dict):
        found = {node["entity"]} if isinstance(node.get("entity"), str) else set()
        return found.union(*(dashboard_entities(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(dashboard_entities(value) for value in node))
    return set()


@pytest.mark.usefixtures("all_entities_enabled")
async def test_example_dashboard_uses_the_card_and_existing_entities(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """Every entity the example dashboard shows is one HA AI creates."""
    dashboard = yaml.safe_load(EXAMPLE_DASHBOARD.read_text())
    assert "custom:ha-ai-card" in EXAMPLE_DASHBOARD.read_text()
    entities = dashboard_entities(dashboard)
    assert entities
    registry = er.async_get(hass)
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, setup_entry.entry_id)
    }
    assert entities <= ours
