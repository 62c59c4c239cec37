"""Deploying automations into automations.yaml, reloading and confirming them."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import dump, load_yaml
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.ha_ai.automations.check import AutomationRefusedError
from custom_components.ha_ai.automations.deploy import AutomationDeployer
from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.stored_part import async_remove_store

DEPLOYMENTS = "ha_ai.deployments"
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


def stored_record(deployed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return HA AI's record of the automations it wrote, as `.storage` holds it."""
    return {"version": 1, "key": DEPLOYMENTS, "data": {"deployed": deployed}}


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
    deployer = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
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


async def test_a_configuration_that_cannot_be_read_refuses(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    """An included automations.yaml that is missing breaks Home Assistant's own read."""
    (config_dir / "automations.yaml").unlink()
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "config"
    assert "cannot tell whether the id" in caught.value.message
    assert not (config_dir / "automations.yaml").exists()


async def test_without_the_automation_integration(
    hass: HomeAssistant, config_dir: Path
) -> None:
    deployer = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await deployer.async_start()
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "no_automations"
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_the_record_survives_a_restart(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="remote", suggestion_id="s1")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    restarted = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await restarted.async_start()
    assert restarted.deployed_by_ha_ai("ha_ai_routine_1")
    await async_remove_store(hass, DEPLOYMENTS)
    forgotten = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
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


# Issue 10, point 4: HA AI never takes over an automation it did not write and
# no longer owns, wherever Home Assistant has it from.

CONFIGURATION_WITH_OTHERS = """homeassistant:
  packages:
    garden: !include packages/garden.yaml
automation: !include automations.yaml
automation manual:
  - id: from_config
    alias: From config
    triggers: [{trigger: homeassistant, event: start}]
    actions: []
"""
GARDEN_PACKAGE = """automation:
  - id: from_package
    alias: From package
    triggers: [{trigger: homeassistant, event: start}]
    actions: []
"""


@pytest.fixture
def other_files(config_dir: Path) -> Path:
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_WITH_OTHERS)
    (config_dir / "packages").mkdir()
    (config_dir / "packages" / "garden.yaml").write_text(GARDEN_PACKAGE)
    return config_dir


@pytest.mark.parametrize(
    ("automation_id", "where"),
    [("from_config", "configuration.yaml"), ("from_package", "garden.yaml")],
)
async def test_deploy_cannot_take_over_an_automation_of_another_file(
    hass: HomeAssistant,
    other_files: Path,
    deployer: AutomationDeployer,
    automation_id: str,
    where: str,
) -> None:
    assert hass.states.get(f"automation.{automation_id}") is not None
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(automation_id), source="remote")
    assert caught.value.reason == "exists"
    assert where in caught.value.message
    assert (other_files / "automations.yaml").read_text() == USER_AUTOMATIONS
    assert hass.states.get(f"automation.{automation_id}") is not None
    assert not deployer.deployed_by_ha_ai(automation_id)


@pytest.mark.parametrize("automation_id", ["from_config", "from_package"])
async def test_remove_cannot_delete_an_automation_of_another_file(
    hass: HomeAssistant,
    other_files: Path,
    deployer: AutomationDeployer,
    hass_storage: dict[str, Any],
    automation_id: str,
) -> None:
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_remove(automation_id)
    assert caught.value.reason == "not_ours"
    # Even with a record saying HA AI wrote it (once, into automations.yaml),
    # read back after a restart.
    hass_storage[DEPLOYMENTS] = stored_record({automation_id: {"source": "remote"}})
    restarted = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await restarted.async_start()
    assert restarted.deployed_by_ha_ai(automation_id)
    with pytest.raises(AutomationRefusedError) as caught:
        await restarted.async_remove(automation_id)
    assert caught.value.reason == "not_ours"
    entity_id = f"automation.{automation_id}"
    assert er.async_get(hass).async_get(entity_id) is not None
    assert hass.states.get(entity_id) is not None
    assert (other_files / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_deploy_cannot_take_an_id_only_the_entity_registry_has(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    er.async_get(hass).async_get_or_create(
        "automation", "automation", "left_behind", suggested_object_id="left"
    )
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine("left_behind"), source="remote")
    assert caught.value.reason == "exists"
    assert "already knows" in caught.value.message


async def test_an_automation_the_user_edited_is_theirs(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="remote")
    path = config_dir / "automations.yaml"
    edited = path.read_text().replace("alias: Morning", "alias: My morning")
    path.write_text(edited)
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(alias="Replaced"), source="remote")
    assert caught.value.reason == "exists"
    assert "changed since HA AI wrote it" in caught.value.message
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_remove("ha_ai_routine_1")
    assert caught.value.reason == "not_ours"
    assert path.read_text() == edited


async def test_the_editor_writing_the_file_again_is_not_an_edit(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="remote")
    path = config_dir / "automations.yaml"
    # The editor loads every automation and dumps the whole file in its own style.
    path.write_text(dump(load_yaml(path)))
    await deployer.async_deploy(routine(alias="Renamed"), source="remote")
    await deployer.async_remove("ha_ai_routine_1")
    assert "ha_ai_routine_1" not in path.read_text()


async def test_a_record_from_before_fingerprints_still_owns_its_automation(
    hass: HomeAssistant,
    config_dir: Path,
    deployer: AutomationDeployer,
    hass_storage: dict[str, Any],
) -> None:
    await deployer.async_deploy(routine(), source="remote")
    # The record as a version that kept no fingerprints wrote it.
    hass_storage[DEPLOYMENTS] = stored_record(
        {
            "ha_ai_routine_1": {
                "source": "remote",
                "suggestion_id": None,
                "deployed_at": "2026-01-05T06:00:00+00:00",
            }
        }
    )
    restarted = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await restarted.async_start()
    await restarted.async_remove("ha_ai_routine_1")
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_an_id_twice_in_the_file_is_left_alone(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    await deployer.async_deploy(routine(), source="remote")
    path = config_dir / "automations.yaml"
    doubled = path.read_text() + path.read_text().split("\n\n", 1)[1].replace(
        "- id: mine", "- id: ha_ai_routine_1", 1
    )
    path.write_text(doubled)
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_remove("ha_ai_routine_1")
    assert "more than one" in caught.value.message
    assert path.read_text() == doubled


async def test_a_failed_deploy_leaves_no_registry_entry_behind(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    broken = {**routine(), "triggers": [{"trigger": "no_such_trigger"}]}
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(broken, source="remote")
    assert caught.value.reason == "not_loaded"
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("automation", "automation", "ha_ai_routine_1")
        is None
    )
    # So the id is still free for a good one.
    await deployer.async_deploy(routine(), source="remote")


# The record of what HA AI wrote is never lost silently.


@pytest.mark.parametrize(
    "stored",
    [
        {"version": 1, "key": DEPLOYMENTS, "data": ["ha_ai_routine_1"]},
        {"version": 1, "key": DEPLOYMENTS, "data": {"deployed": "ha_ai_routine_1"}},
        {"version": 2, "key": DEPLOYMENTS, "data": {"deployed": {}}},
        {"key": DEPLOYMENTS},
    ],
    ids=["list", "wrong_field", "unknown_version", "no_data"],
)
async def test_an_unreadable_deployment_record_is_logged_and_copied_aside(
    hass: HomeAssistant,
    config_dir: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
) -> None:
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / DEPLOYMENTS).write_text(json.dumps(stored))
    hass_storage[DEPLOYMENTS] = stored
    deployer = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await deployer.async_start()
    assert "cannot be read" in caplog.text
    assert "treats every automation as yours" in caplog.text
    [copy] = storage.glob(f"{DEPLOYMENTS}.corrupt-*")
    assert json.loads(copy.read_text()) == stored
    assert not deployer.deployed_by_ha_ai("ha_ai_routine_1")


async def test_an_undecodable_deployment_record_is_logged(
    hass: HomeAssistant, config_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / DEPLOYMENTS).write_text("{not json")
    deployer = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await deployer.async_start()
    assert "not valid JSON" in caplog.text
    assert "treats every automation as yours" in caplog.text


async def test_a_copy_that_fails_is_logged_too(
    hass: HomeAssistant,
    config_dir: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / DEPLOYMENTS).write_text("[]")
    hass_storage[DEPLOYMENTS] = {"version": 1, "key": DEPLOYMENTS, "data": []}
    with patch(
        "custom_components.ha_ai.store_loading.copy_aside",
        side_effect=OSError("read-only"),
    ):
        await AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN)).async_start()
    assert "nor copied aside" in caplog.text
    assert "cannot be read" in caplog.text


async def test_wrong_typed_records_are_dropped_and_logged(
    hass: HomeAssistant,
    config_dir: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = {"source": "remote", "suggestion_id": None, "deployed_at": None}
    hass_storage[DEPLOYMENTS] = {
        "version": 1,
        "key": DEPLOYMENTS,
        "data": {
            "deployed": {
                "kept": good,
                "kept_with_fingerprint": {**good, "fingerprint": "a" * 64},
                "bad source": good,
                "bad_source": {**good, "source": ["remote"]},
                "bad_suggestion": {**good, "suggestion_id": 5},
                "bad_fingerprint": {**good, "fingerprint": "not hex"},
                "not_a_mapping": "remote",
            }
        },
    }
    deployer = AutomationDeployer(hass, MockConfigEntry(domain=DOMAIN))
    await deployer.async_start()
    assert deployer.deployed_by_ha_ai("kept")
    assert deployer.deployed_by_ha_ai("kept_with_fingerprint")
    for dropped in ("bad source", "bad_source", "bad_suggestion", "bad_fingerprint"):
        assert not deployer.deployed_by_ha_ai(dropped)
    assert "has 5 entries it cannot read" in caplog.text


async def test_without_a_configuration_file_nothing_is_deployed(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    (config_dir / "configuration.yaml").unlink()
    with pytest.raises(AutomationRefusedError) as caught:
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "config"
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


@pytest.mark.parametrize(
    ("hangs", "words"),
    [(False, "could not reload"), (True, "did not finish")],
    ids=["raises", "hangs"],
)
async def test_a_reload_that_fails_puts_the_file_back_without_reloading_again(
    hass: HomeAssistant,
    config_dir: Path,
    deployer: AutomationDeployer,
    hangs: bool,
    words: str,
) -> None:
    calls: list[ServiceCall] = []

    async def broken_reload(call: ServiceCall) -> None:
        calls.append(call)
        if hangs:
            await asyncio.Event().wait()
        raise HomeAssistantError("broken YAML")

    hass.services.async_register("automation", "reload", broken_reload)
    with (
        patch(
            "custom_components.ha_ai.automations.deploy.RELOAD_TIMEOUT_SECONDS", 0.05
        ),
        pytest.raises(AutomationRefusedError) as caught,
    ):
        await deployer.async_deploy(routine(), source="suggestion")
    assert caught.value.reason == "reload_failed"
    assert words in caught.value.message
    assert len(calls) == 1
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS


async def test_remove_of_an_owned_automation_whose_entity_is_gone(
    hass: HomeAssistant, config_dir: Path, deployer: AutomationDeployer
) -> None:
    deployed = await deployer.async_deploy(routine(), source="suggestion")
    er.async_get(hass).async_remove(deployed.entity_id)
    await deployer.async_remove("ha_ai_routine_1")
    assert (config_dir / "automations.yaml").read_text() == USER_AUTOMATIONS
