"""End to end: an outside program deploys an automation through a real mosquitto.

The command travels as any program would send it (`mosquitto_pub`), through Home
Assistant's real mqtt integration; the answer comes back to an outside client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from unittest.mock import patch
from uuid import uuid4

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.automations import remote_deploy
from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.automations.commands import sign_command
from custom_components.ha_ai.engine.automations.refusal_limit import RefusalLimits

from .broker import (
    Mosquitto,
    Received,
    Subscriber,
    find_program,
    publish,
    real_mqtt_entry,
    skip_without,
)
from .fixtures_common import mock_hass_config  # noqa: F401
from .habit_helpers import add_house

SECRET = "remote-secret-for-the-round-trip"  # noqa: S105 - a test secret

pytestmark = skip_without("mosquitto", "mosquitto_pub", "mosquitto_sub")


@pytest.fixture(autouse=True)
def no_refill() -> Iterator[RefusalLimits]:
    """A burst of refusal answers that does not refill while the test runs."""
    limits = RefusalLimits(burst=10, per_minute=1e-9)
    with patch.object(remote_deploy, "REFUSAL_LIMITS", limits):
        yield limits


@pytest.fixture
async def responses(broker: Mosquitto) -> AsyncGenerator[Subscriber]:
    client = Subscriber(broker.port, "ha-ai/responses/#")
    await client.start()
    yield client
    await client.stop()


@pytest.fixture
async def ha_ai(
    hass: HomeAssistant, broker: Mosquitto, responses: Subscriber, tmp_path: Path
) -> AsyncGenerator[MockConfigEntry]:
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text("[]\n")
    add_house(hass)
    assert await async_setup_component(hass, "automation", {})
    options = {**DEFAULT_OPTIONS, CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: SECRET}
    async with real_mqtt_entry(hass, broker.port):
        entry = MockConfigEntry(domain=DOMAIN, options=options)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await asyncio.sleep(1)  # the mqtt integration subscribes after a debounce
        yield entry
        assert await hass.config_entries.async_unload(entry.entry_id)


def command(**fields: object) -> dict[str, object]:
    return sign_command(
        {
            "event_id": uuid4().hex,
            "timestamp": dt_util.utcnow().isoformat(),
            "ttl": 60,
            "automation_id": "remote_round_trip",
            **fields,
        },
        SECRET,
    )


async def answer(client: Subscriber) -> Received:
    return await client.next(timeout=30)


@pytest.mark.usefixtures("ha_ai")
async def test_deploy_and_remove_round_trip(
    hass: HomeAssistant, broker: Mosquitto, responses: Subscriber, tmp_path: Path
) -> None:
    automation = {
        "alias": "Round trip",
        "triggers": [{"trigger": "time", "at": "07:00:00"}],
        "actions": [
            {"action": "switch.turn_on", "target": {"entity_id": "switch.coffee"}}
        ],
    }
    deploy = command(automation=automation)
    await publish(broker.port, "ha-ai/commands/automation/deploy", deploy)
    received = await answer(responses)
    assert received.topic == "ha-ai/responses/automation/executed"
    body = json.loads(received.payload)
    assert body["automation_id"] == "remote_round_trip"
    assert body["success"] is True
    assert hass.states.get("automation.round_trip") is not None
    assert "remote_round_trip" in (tmp_path / "automations.yaml").read_text()

    # A forged command never reaches Home Assistant's automations.
    forged = command(automation={**automation, "alias": "Forged"})
    forged["signature"] = "0" * 64
    await publish(broker.port, "ha-ai/commands/automation/deploy", forged)
    received = await answer(responses)
    assert received.topic == "ha-ai/responses/automation/failed"
    assert json.loads(received.payload)["reason"] == "bad_signature"

    await publish(broker.port, "ha-ai/commands/automation/remove", command())
    received = await answer(responses)
    assert received.topic == "ha-ai/responses/automation/executed"
    await hass.async_block_till_done()
    assert hass.states.get("automation.round_trip") is None
    assert (tmp_path / "automations.yaml").read_text() == "[]\n"


AUTOMATION = {
    "alias": "Round trip",
    "triggers": [{"trigger": "time", "at": "07:00:00"}],
    "actions": [{"action": "switch.turn_on", "target": {"entity_id": "switch.coffee"}}],
}


async def test_replayed_command_after_reload_is_refused_through_the_broker(
    hass: HomeAssistant,
    broker: Mosquitto,
    responses: Subscriber,
    ha_ai: MockConfigEntry,
) -> None:
    deploy = command(automation=AUTOMATION)
    await publish(broker.port, "ha-ai/commands/automation/deploy", deploy)
    assert (await answer(responses)).topic == "ha-ai/responses/automation/executed"
    assert await hass.config_entries.async_reload(ha_ai.entry_id)
    await hass.async_block_till_done()
    await asyncio.sleep(1)  # the mqtt integration subscribes after a debounce
    await publish(broker.port, "ha-ai/commands/automation/deploy", deploy)
    received = await answer(responses)
    assert received.topic == "ha-ai/responses/automation/failed"
    body = json.loads(received.payload)
    assert (body["reason"], body["command_event_id"]) == (
        "replayed",
        deploy["event_id"],
    )


@pytest.mark.usefixtures("ha_ai")
async def test_lone_surrogate_and_a_flood_are_answered_in_bounds_through_the_broker(
    broker: Mosquitto, responses: Subscriber, no_refill: RefusalLimits
) -> None:
    # `json.dumps` writes the lone surrogate as the escape `\ud800`, as a sender would.
    hostile = {**command(automation=AUTOMATION), "automation_id": "x\ud800"}
    await publish(broker.port, "ha-ai/commands/automation/deploy", hostile)
    body = json.loads((await answer(responses)).payload)
    assert (body["reason"], body["command_event_id"]) == (
        "invalid",
        hostile["event_id"],
    )

    # 2,000 unsigned commands in one connection, one a line.
    unsigned = {k: v for k, v in command().items() if k != "signature"}
    program = find_program("mosquitto_pub")
    assert program
    flood = await asyncio.create_subprocess_exec(
        program,
        *("-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-l"),
        *("-t", "ha-ai/commands/automation/deploy"),
        stdin=asyncio.subprocess.PIPE,
    )
    await flood.communicate((json.dumps(unsigned) + "\n").encode() * 2_000)
    assert flood.returncode == 0
    # A valid command after the flood: its answer comes after every refusal's.
    valid = command(automation=AUTOMATION)
    await publish(broker.port, "ha-ai/commands/automation/deploy", valid)
    refusals = []
    async with asyncio.timeout(120):  # a bounded wait, whatever keeps arriving
        while True:
            received = await answer(responses)
            body = json.loads(received.payload)
            if body["command_event_id"] == valid["event_id"]:
                break
            refusals.append(body["reason"])
    # One burst was counted already: the surrogate's answer.
    assert refusals == ["unsigned"] * (no_refill.burst)
    assert received.topic == "ha-ai/responses/automation/executed"
