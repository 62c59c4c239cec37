"""Deploying automations into automations.yaml, reloading and confirming them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.ha_ai.automation_check import AutomationRefusedError
from custom_components.ha_ai.automation_deploy import AutomationDeployer

USER_AUTOMATIONS = """# Written by hand: keep me.
- id: '1700000000001'
  alias: Porch light at dusk   # the porch
  triggers:
  - trigger: sun
    event: sunset
  actions:
  - action: homeassistant.turn_on
    target:
      entity_id: light.porch

- id: mine
  alias: Mine
  triggers: [{trigger: homeassistant, event: start}]
  actions: []
"""


def routine(
    automation_id: str = "ha_ai_routine_1", alias: str = "Morning"
) -> dict[str, Any]:
    return {
        "id": automation_id,
        "alias": alias,
        "description": "Proposed by HA AI",
        "triggers": [{"trigger": "time", "at": "06:07:00"}],
        "actions": [
            {"action": "homeassistant.turn_on", "target": {"entity_id": "light.bed"}}
        ],
        "mode": "single",
    }


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text(USER_AUTOMATIONS)
    return tmp_path


@pytest.fixture
async def deployer(hass: HomeAssistant, config_dir: Path) -> AutomationDeployer:
    assert await async_setup_component(hass, "automation", {})
    await hass.services.async_call("automation", "reload", blocking=True)
    deployer = AutomationDeployer(hass)
    await deployer.async_start()
    return deployer


async def test_deploy_appends_reloads_and_confirms(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    deployed = await deployer.async_deploy(routine(), source="suggestion")
    text = (config_dir / "automations.yaml").read_text()
    assert text.startswith(USER_AUTOMATIONS)
    assert deployed.automation_id == "ha_ai_routine_1"
    assert deployed.entity_id == "automation.morning"
    assert deployed.duration_ms > 0
    assert hass.states.get("automation.morning").state == "on"
    entry = er.async_get(hass).async_get(deployed.entity_id)
    assert entry is not None
    assert entry.unique_id == "ha_ai_routine_1"
    assert deployer.deployed_by_ha_ai("ha_ai_routine_1")
    # The user's automations were reloaded untouched.
    assert hass.states.get("automation.porch_light_at_dusk") is not None


async def test_redeploy_replaces_only_its_entry(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="suggestion")
    again = await deployer.async_deploy(routine(alias="Renamed"), source="remote")
    text = (config_dir / "automations.yaml").read_text()
    assert text.startswith(USER_AUTOMATIONS)
    assert text.count("ha_ai_routine_1") == 1
    assert "Renamed" in text
    # The entity keeps its id: the unique id is the automation's id.
    assert again.entity_id == "automation.morning"


async def test_a_user_automation_is_never_overwritten(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine("mine"), source="remote")
    assert caught.value.reason == "exists"
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_remove_restores_the_file(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    deployed = await deployer.async_deploy(routine(), source="suggestion")
    await deployer.async_remove("ha_ai_routine_1")
    await hass.async_block_till_done()
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS
    assert er.async_get(hass).async_get(deployed.entity_id) is None
    assert hass.states.get(deployed.entity_id) is None
    assert not deployer.deployed_by_ha_ai("ha_ai_routine_1")


async def test_remove_refuses_user_automations(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_remove("mine")
    assert caught.value.reason == "not_ours"
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_remove_when_the_user_already_deleted_it(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="suggestion")
    (config_dir / "automations.yaml").write_text(USER_AUTOMATIONS)
    await deployer.async_remove("ha_ai_routine_1")
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS
    assert not deployer.deployed_by_ha_ai("ha_ai_routine_1")


async def test_an_unreadable_file_is_left_alone(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    broken = "- id: a\n  alias: [unclosed\n"
    (config_dir / "automations.yaml").write_text(broken)
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "file"
    assert (config_dir / "automations.yaml").read_text() == broken


async def test_not_included_automations_are_rolled_back(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    (config_dir / "configuration.yaml").write_text("automation: []\n")
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "not_loaded"
    assert "automation: !include automations.yaml" in caught.value.message
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS
    assert not deployer.deployed_by_ha_ai("ha_ai_routine_1")


async def test_a_missing_file_is_created(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    (config_dir / "automations.yaml").unlink()
    await deployer.async_deploy(routine(), source="suggestion")
    text = (config_dir / "automations.yaml").read_text()
    assert text.startswith("- id: ha_ai_routine_1\n")


async def test_without_the_automation_integration(
    hass: HomeAssistant, config_dir: Path
) -> None:
    deployer = AutomationDeployer(hass)
    await deployer.async_start()
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "no_automations"
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_the_record_survives_a_restart(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="remote", suggestion_id="s1")
    await deployer.async_stop()
    restarted = AutomationDeployer(hass)
    await restarted.async_start()
    assert restarted.deployed_by_ha_ai("ha_ai_routine_1")
    await AutomationDeployer.async_remove_store(hass)
    forgotten = AutomationDeployer(hass)
    await forgotten.async_start()
    assert not forgotten.deployed_by_ha_ai("ha_ai_routine_1")


async def test_remove_with_an_unreadable_file_or_no_entity(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    deployed = await deployer.async_deploy(routine(), source="suggestion")
    (config_dir / "automations.yaml").write_text("key: [unclosed\n")
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_remove("ha_ai_routine_1")
    assert caught.value.reason == "file"
    assert deployer.deployed_by_ha_ai("ha_ai_routine_1")

    (config_dir / "automations.yaml").write_text(USER_AUTOMATIONS)
    er.async_get(hass).async_remove(deployed.entity_id)
    await deployer.async_remove("ha_ai_routine_1")
    assert not deployer.deployed_by_ha_ai("ha_ai_routine_1")
