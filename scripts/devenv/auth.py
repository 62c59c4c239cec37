"""Onboarding and the access token: logging in, renewing before it expires."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import aiohttp

from .common import (
    CLIENT_ID,
    JSON,
    PASSWORD,
    TOKEN_RENEW_MARGIN,
    USERNAME,
    DevEnvError,
    log,
)


async def _token_request(
    session: aiohttp.ClientSession, base_url: str, form: dict[str, str]
) -> JSON:
    """Exchange a code or refresh token at /auth/token."""
    async with session.post(
        f"{base_url}/auth/token", data={**form, "client_id": CLIENT_ID}
    ) as response:
        if response.status != 200:  # noqa: PLR2004
            msg = f"/auth/token: HTTP {response.status}"
            raise DevEnvError(msg)
        result: JSON = await response.json()
        return result


async def onboarding_done_steps(
    session: aiohttp.ClientSession, base_url: str
) -> set[str]:
    """Return the onboarding steps already done on this instance.

    The onboarding views only exist until onboarding is complete (they are
    registered before the HTTP server starts, so 404 is not a race).
    """
    async with session.get(f"{base_url}/api/onboarding") as response:
        if response.status == 404:  # noqa: PLR2004
            return {"user", "core_config", "analytics", "integration"}
        steps = await response.json()
    return {step["step"] for step in steps if step["done"]}


async def onboard_user(session: aiohttp.ClientSession, base_url: str) -> JSON:
    """Create the owner account on a fresh instance and return its tokens."""
    async with session.post(
        f"{base_url}/api/onboarding/users",
        json={
            "client_id": CLIENT_ID,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    ) as response:
        if response.status != 200:  # noqa: PLR2004
            msg = f"onboarding user: HTTP {response.status}"
            raise DevEnvError(msg)
        code = (await response.json())["auth_code"]
    return await _token_request(
        session, base_url, {"grant_type": "authorization_code", "code": code}
    )


async def login(session: aiohttp.ClientSession, base_url: str) -> JSON:
    """Log in with the development user through the login flow."""
    async with session.post(
        f"{base_url}/auth/login_flow",
        json={
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": CLIENT_ID,
        },
    ) as response:
        flow_id = (await response.json())["flow_id"]
    async with session.post(
        f"{base_url}/auth/login_flow/{flow_id}",
        json={"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD},
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        msg = f"login as {USERNAME!r} failed: {result.get('errors')}"
        raise DevEnvError(msg)
    return await _token_request(
        session,
        base_url,
        {"grant_type": "authorization_code", "code": result["result"]},
    )


async def refresh(
    session: aiohttp.ClientSession, base_url: str, refresh_token: str
) -> JSON:
    """Get a new access token from a stored refresh token."""
    return await _token_request(
        session,
        base_url,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


async def authenticate(
    session: aiohttp.ClientSession, base_url: str, state: JSON
) -> tuple[JSON, bool]:
    """Return fresh tokens and whether the instance was onboarded just now.

    ``state`` carries the refresh token between runs and is updated in place;
    a login with the development user is the fallback when it is stale. The
    tokens are ``/auth/token``'s answer: ``access_token``, ``expires_in`` and
    (after onboarding or a login) ``refresh_token``.
    """
    if "user" not in await onboarding_done_steps(session, base_url):
        log(f"Onboarding a fresh instance (user {USERNAME!r})")
        tokens = await onboard_user(session, base_url)
        state["refresh_token"] = tokens["refresh_token"]
        return tokens, True
    return await renew_tokens(session, base_url, state), False


async def renew_tokens(
    session: aiohttp.ClientSession, base_url: str, state: JSON
) -> JSON:
    """Return a new access token from the refresh token, or by logging in again."""
    if stored := state.get("refresh_token"):
        with contextlib.suppress(DevEnvError, aiohttp.ClientError):
            return await refresh(session, base_url, stored)
    tokens = await login(session, base_url)
    state["refresh_token"] = tokens["refresh_token"]
    return tokens


class AccessToken:
    """An access token that is renewed before it expires, and on demand.

    Home Assistant's access tokens live 30 minutes; a development session runs
    for hours and survives restarts of Home Assistant. The token is renewed
    `TOKEN_RENEW_MARGIN` seconds before its ``expires_in`` runs out, and at
    once when a request is refused with HTTP 401 (a clock jump, a revoked
    token). ``clock`` is a monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        tokens: JSON,
        renew: Callable[[], Awaitable[JSON]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the tokens `/auth/token` gave; `renew` asks for new ones."""
        self._renew = renew
        self._clock = clock
        self._lock = asyncio.Lock()
        self.renewals = 0
        self._take(tokens)

    def _take(self, tokens: JSON) -> None:
        self.value = str(tokens["access_token"])
        lifetime = float(tokens.get("expires_in", 1800))
        self.renew_at = self._clock() + max(lifetime - TOKEN_RENEW_MARGIN, 0.0)

    @property
    def due(self) -> bool:
        """Tell whether the token must be renewed before the next request."""
        return self._clock() >= self.renew_at

    async def current(self) -> str:
        """Return a token that is good for the next request."""
        if self.due:
            await self.renew(self.value)
        return self.value

    async def renew(self, stale: str) -> str:
        """Replace the token `stale`; a token renewed meanwhile is kept."""
        async with self._lock:
            if self.value == stale:
                self._take(await self._renew())
                self.renewals += 1
            return self.value
