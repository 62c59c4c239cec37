"""Talking to Home Assistant as a user does: REST, config entries of MQTT and HA AI."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from http import HTTPStatus
from typing import Any

import aiohttp

from .auth import AccessToken, onboarding_done_steps
from .common import (
    CLIENT_ID,
    ENTRY_TIMEOUT,
    INTEGRATION_DIR,
    JSON,
    LOOPBACK,
    REPO_ROOT,
    DevEnvError,
    IntegrationUnavailableError,
    log,
)
from .processes import Service


async def wait_for_http(
    session: aiohttp.ClientSession, base_url: str, hass: Service, timeout: float
) -> None:
    """Wait until the HTTP server answers, failing early if hass exits."""
    deadline = time.monotonic() + timeout
    while True:
        if not hass.running:
            msg = f"Home Assistant exited with {hass.process.returncode} during start"
            raise DevEnvError(msg)
        try:
            # The server starts once frontend (hence auth and onboarding) is
            # set up; any answer will do. An unauthenticated /api/ would log
            # a warning about invalid authentication.
            async with session.get(f"{base_url}/auth/providers"):
                return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            msg = f"Home Assistant did not answer within {timeout:.0f} s"
            raise DevEnvError(msg)
        await asyncio.sleep(0.25)


class HassApi:
    """The few REST calls the scripts need, with errors turned into messages."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: AccessToken
    ) -> None:
        """Bind a session, an instance and a token kept fresh."""
        self.session = session
        self.base_url = base_url
        self.token = token

    @property
    def access_token(self) -> str:
        """Return the current access token (for a websocket's auth message)."""
        return self.token.value

    async def request(
        self,
        method: str,
        path: str,
        data: JSON | None = None,
    ) -> Any:  # noqa: ANN401 - JSON of any shape
        """Send one authenticated request and return its JSON body.

        A request refused with HTTP 401 is sent once more with a new token.
        """
        token = await self.token.current()
        status, body = await self._send(method, path, data, token)
        if status == HTTPStatus.UNAUTHORIZED:
            token = await self.token.renew(token)
            status, body = await self._send(method, path, data, token)
        if status == 404 and path.endswith("/flow"):  # noqa: PLR2004
            with contextlib.suppress(ValueError, KeyError, TypeError):
                body = json.loads(body)["message"]
            raise IntegrationUnavailableError(body)
        if status >= 400:  # noqa: PLR2004
            msg = f"{method} {path}: HTTP {status}: {body}"
            raise DevEnvError(msg)
        return json.loads(body) if body else None

    async def _send(
        self, method: str, path: str, data: JSON | None, token: str
    ) -> tuple[int, str]:
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=data,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            return response.status, await response.text()

    async def call_service(
        self,
        domain: str,
        name: str,
        data: JSON | None = None,
        *,
        return_response: bool = False,
    ) -> Any:  # noqa: ANN401 - JSON of any shape
        """Call an action as the logged-in person; with its response if asked."""
        query = "?return_response" if return_response else ""
        return await self.request(
            "POST", f"/api/services/{domain}/{name}{query}", data or {}
        )

    async def state(self, entity_id: str) -> str | None:
        """Return an entity's state, or None when Home Assistant has none."""
        try:
            body = await self.request("GET", f"/api/states/{entity_id}")
        except DevEnvError as err:
            if "HTTP 404" in str(err):
                return None
            raise
        return str(body["state"])

    async def wait_running(self, timeout: float) -> None:
        """Wait until Home Assistant has finished starting, not in recovery mode."""
        deadline = time.monotonic() + timeout
        while (config := await self.request("GET", "/api/config"))["state"] != (
            "RUNNING"
        ):
            if time.monotonic() > deadline:
                msg = f"Home Assistant still {config['state']}"
                raise DevEnvError(msg)
            await asyncio.sleep(0.25)
        if config.get("recovery_mode") or config.get("safe_mode"):
            raise DevEnvError(
                "Home Assistant started in recovery mode: see its log "
                "(frontend package missing, or configuration.yaml invalid)"
            )

    async def entries(self, domain: str) -> list[JSON]:
        """List the config entries of ``domain``."""
        result: list[JSON] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return result

    async def run_flow(
        self, handler: str, *steps: JSON, entry_id: str | None = None
    ) -> JSON:
        """Start a config flow and submit ``steps`` to its forms, one each.

        With ``entry_id`` it is a reconfigure flow of that entry. Returns the
        final result (``create_entry`` or ``abort``); a form still shown after
        the last step means the input was refused, which is an error.
        """
        start: JSON = {"handler": handler}
        if entry_id:
            start["entry_id"] = entry_id
        result: JSON = await self.request(
            "POST", "/api/config/config_entries/flow", start
        )
        user_input: JSON = {}
        for user_input in steps:
            if result["type"] != "form":
                break
            result = await self.request(
                "POST",
                f"/api/config/config_entries/flow/{result['flow_id']}",
                user_input,
            )
        if result["type"] == "form":
            await self.request(
                "DELETE", f"/api/config/config_entries/flow/{result['flow_id']}"
            )
            msg = f"{handler} flow refused {user_input}: {result.get('errors')}"
            raise DevEnvError(msg)
        return result

    async def wait_entry_loaded(self, domain: str, timeout: float) -> JSON:
        """Wait until the (single) entry of ``domain`` is loaded; return it."""
        deadline = time.monotonic() + timeout
        while True:
            entries = await self.entries(domain)
            if entries and entries[0]["state"] == "loaded":
                return entries[0]
            if time.monotonic() > deadline:
                state = entries[0]["state"] if entries else "missing"
                reason = entries[0].get("reason") if entries else None
                msg = f"{domain} entry is {state} ({reason}), not loaded"
                raise DevEnvError(msg)
            await asyncio.sleep(0.25)

    async def reload_entry(self, entry_id: str) -> None:
        """Reload a config entry (after the broker it depends on moved)."""
        await self.request(
            "POST", f"/api/config/config_entries/entry/{entry_id}/reload"
        )


async def finish_onboarding(api: HassApi) -> None:
    """Complete the remaining onboarding steps so the UI opens on the dashboard.

    Neither step has side effects: analytics stays off, and the integration
    step only hands out an authorization code. Best effort: a step that fails
    only means the browser shows it once.
    """
    done = await onboarding_done_steps(api.session, api.base_url)
    steps: list[tuple[str, JSON]] = [
        ("analytics", {}),
        (
            "integration",
            {"client_id": CLIENT_ID, "redirect_uri": f"{CLIENT_ID}?auth_callback=1"},
        ),
    ]
    for step, data in steps:
        if step not in done:
            try:
                await api.request("POST", f"/api/onboarding/{step}", data)
            except DevEnvError as err:
                log(f"Onboarding step {step} left for the browser: {err}")


async def ensure_mqtt_entry(
    api: HassApi,
    port: int,
    configured_port: int | None,
    credentials: tuple[str, str] | None = None,
) -> bool:
    """Create the mqtt entry for the broker, or point the existing one at it.

    ``credentials`` (user name, password) are for a broker that asks for them.
    Returns True when an existing entry was moved to another port: whatever
    depends on it should then be reloaded.
    """
    user_input: JSON = {"broker": LOOPBACK, "port": port}
    if credentials is not None:
        user_input["username"], user_input["password"] = credentials
    entries = await api.entries("mqtt")
    moved = False
    if not entries:
        log(f"Creating the mqtt entry for {LOOPBACK}:{port}")
        result = await api.run_flow("mqtt", user_input)
        if result["type"] != "create_entry":
            msg = f"mqtt flow aborted: {result.get('reason')}"
            raise DevEnvError(msg)
    elif configured_port != port:
        log(f"Pointing the mqtt entry at {LOOPBACK}:{port}")
        result = await api.run_flow("mqtt", user_input, entry_id=entries[0]["entry_id"])
        if result.get("reason") != "reconfigure_successful":
            msg = f"mqtt reconfigure aborted: {result.get('reason')}"
            raise DevEnvError(msg)
        moved = True
    await api.wait_entry_loaded("mqtt", ENTRY_TIMEOUT)
    return moved


async def ensure_ha_ai_entry(
    api: HassApi, *, reload: bool = False, discovered_within: float = 0.0
) -> JSON:
    """Create the ha_ai entry with its defaults and wait until it is loaded.

    With ``discovered_within`` seconds, an offer Home Assistant made from
    Zigbee2MQTT's bridge info on the broker is taken, as a user would under
    Discovered (which also clears Home Assistant's "New devices discovered"
    notification); otherwise, or without an offer by then, the user flow runs.
    The user flow aborts while MQTT is not connected yet, so an abort is retried
    until ENTRY_TIMEOUT. ``reload`` reloads an existing entry.
    """
    entries = await api.entries("ha_ai")
    if entries and reload:
        await api.reload_entry(entries[0]["entry_id"])
    if not entries and not await _take_discovered_offer(api, discovered_within):
        log("Creating the ha_ai entry with its defaults")
        deadline = time.monotonic() + ENTRY_TIMEOUT
        # The settings form with its defaults, then the LLM step: no LLM.
        steps = ({}, {"llm_provider": "none"})
        while (result := await api.run_flow("ha_ai", *steps))["type"] != "create_entry":
            if time.monotonic() > deadline:
                msg = f"ha_ai flow aborted: {result.get('reason')}"
                raise DevEnvError(msg)
            await asyncio.sleep(0.5)
    return await api.wait_entry_loaded("ha_ai", ENTRY_TIMEOUT)


async def _take_discovered_offer(api: HassApi, within: float) -> bool:
    """Confirm Home Assistant's offer to set HA AI up, if one comes within `within` s.

    Returns whether the entry was created from it.
    """
    if within <= 0:
        return False
    deadline = time.monotonic() + within
    while True:
        offers = [
            flow
            for flow in await _flows_in_progress(api)
            if flow.get("handler") == "ha_ai"
            and flow.get("context", {}).get("source") == "mqtt"
        ]
        if offers or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    if not offers:
        return False
    placeholders = offers[0].get("context", {}).get("title_placeholders") or {}
    log(
        "Setting HA AI up from Home Assistant's discovered offer (Zigbee2MQTT on "
        f"{placeholders.get('base_topic', 'its base topic')})"
    )
    result: JSON = await api.request(
        "POST", f"/api/config/config_entries/flow/{offers[0]['flow_id']}", {}
    )
    if result["type"] == "create_entry":
        return True
    if result["type"] == "form":
        await api.request(
            "DELETE", f"/api/config/config_entries/flow/{result['flow_id']}"
        )
    log(f"The discovered offer did not create the entry ({result.get('reason')})")
    return False


async def _flows_in_progress(api: HassApi) -> list[JSON]:
    """Return the config flows in progress, as the Discovered list shows them."""
    ws = await WebSocketApi.connect(api)
    try:
        flows: list[JSON] = await ws.result(
            await ws.send({"type": "config_entries/flow/progress"})
        )
    finally:
        await ws.ws.close()
    return flows


async def ensure_entries(api: HassApi, mqtt_port: int) -> JSON:
    """Create the mqtt entry (broker on `mqtt_port`), then HA AI's; return HA AI's.

    What the benches and end-to-end scenarios do on their fresh instance: an
    HA AI whose flow cannot start is an error saying why.
    """
    await ensure_mqtt_entry(api, mqtt_port, None)
    try:
        return await ensure_ha_ai_entry(api)
    except IntegrationUnavailableError as err:
        raise DevEnvError(integration_unavailable_message(err)) from None


def integration_unavailable_message(err: IntegrationUnavailableError) -> str:
    """Explain why the ha_ai flow could not start, with where to look."""
    if not (INTEGRATION_DIR / "manifest.json").exists():
        why = f"{INTEGRATION_DIR.relative_to(REPO_ROOT)}/manifest.json does not exist"
    else:
        why = "the integration or its config flow failed to import (see the log)"
    return f"ha_ai config flow unavailable ({err}): {why}"


class WebSocketApi:
    """Home Assistant's websocket API, one request at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self.ws = ws
        self.ids = itertools.count(1)

    @classmethod
    async def connect(cls, api: HassApi) -> WebSocketApi:
        """Open and authenticate a websocket on the instance behind ``api``."""
        ws = await api.session.ws_connect(f"{api.base_url}/api/websocket")
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": api.access_token})
        reply = await ws.receive_json()
        if reply.get("type") != "auth_ok":
            msg = f"websocket authentication failed: {reply}"
            raise DevEnvError(msg)
        return cls(ws)

    async def send(self, message: dict[str, Any]) -> int:
        """Send ``message`` with a fresh id and return the id."""
        message_id = next(self.ids)
        await self.ws.send_json({"id": message_id, **message})
        return message_id

    async def result(self, message_id: int) -> Any:  # noqa: ANN401 - any JSON
        """Wait for the result of ``message_id``; raise when it failed."""
        while True:
            reply = await self.ws.receive_json()
            if reply.get("id") == message_id and reply.get("type") == "result":
                break
        if not reply.get("success"):
            msg = f"call failed: {reply.get('error')}"
            raise DevEnvError(msg)
        return reply.get("result")


async def repair_issues(api: HassApi, domain: str | None = None) -> list[JSON]:
    """Return the repair issues the Repairs page lists (of `domain`, if given).

    Ignored issues are left out, as the page leaves them out.
    """
    ws = await WebSocketApi.connect(api)
    try:
        reply = await ws.result(await ws.send({"type": "repairs/list_issues"}))
    finally:
        await ws.ws.close()
    return [
        issue
        for issue in reply["issues"]
        if not issue.get("ignored") and domain in (None, issue.get("domain"))
    ]


async def persistent_notifications(api: HassApi) -> list[JSON]:
    """Return the notifications the Notifications drawer shows."""
    ws = await WebSocketApi.connect(api)
    try:
        notes: list[JSON] = await ws.result(
            await ws.send({"type": "persistent_notification/get"})
        )
    finally:
        await ws.ws.close()
    return notes
