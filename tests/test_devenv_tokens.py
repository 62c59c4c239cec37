"""The development environment's access token: renewed before it expires and
after a refusal, so a session that outlives Home Assistant's 30-minute tokens
(and its restarts) keeps working. A fake clock and a fake HTTP session stand in
for time and Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from scripts import devenv
from scripts.devenv import auth

LIFETIME = 1800.0  # what Home Assistant's /auth/token says: 30 minutes


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeResponse:
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self._body = body

    async def text(self) -> str:
        return self._body


class FakeSession:
    """Answers 200 to the accepted tokens, 401 to any other."""

    def __init__(self, accepted: set[str]) -> None:
        self.accepted = accepted
        self.sent: list[str] = []

    @asynccontextmanager
    async def request(
        self, method: str, url: str, *, json: Any, headers: dict[str, str]
    ) -> AsyncIterator[FakeResponse]:
        token = headers["Authorization"].removeprefix("Bearer ")
        self.sent.append(token)
        if token in self.accepted:
            yield FakeResponse(200, '{"state": "RUNNING"}')
        else:
            yield FakeResponse(401, "401: Unauthorized")


class Renewer:
    """Hands out token-1, token-2, … as /auth/token would."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(0)
        return {"access_token": f"token-{self.calls}", "expires_in": LIFETIME}


def api_with(
    session: FakeSession, clock: FakeClock, renewer: Renewer
) -> devenv.HassApi:
    token = devenv.AccessToken(
        {"access_token": "token-0", "expires_in": LIFETIME}, renewer, clock
    )
    return devenv.HassApi(session, "http://hass", token)  # type: ignore[arg-type]


async def test_a_token_is_renewed_before_it_expires_not_after() -> None:
    clock, renewer = FakeClock(), Renewer()
    session = FakeSession({"token-0", "token-1"})
    api = api_with(session, clock, renewer)
    clock.now = LIFETIME - devenv.TOKEN_RENEW_MARGIN - 1
    await api.request("GET", "/api/config")
    assert renewer.calls == 0
    clock.now = LIFETIME - devenv.TOKEN_RENEW_MARGIN
    await api.request("GET", "/api/config")
    assert renewer.calls == 1
    assert session.sent == ["token-0", "token-1"]
    assert [api.access_token] == session.sent[-1:]


async def test_a_restart_34_minutes_in_finds_a_fresh_token() -> None:
    """The attack: Home Assistant restarted after the first token had expired."""
    clock, renewer = FakeClock(), Renewer()
    session = FakeSession({"token-1"})  # token-0 expired meanwhile
    api = api_with(session, clock, renewer)
    clock.now = 34 * 60
    assert (await api.request("GET", "/api/config"))["state"] == "RUNNING"
    assert session.sent == ["token-1"]  # no request with the stale token


async def test_a_request_refused_with_401_is_sent_once_more_with_a_new_token() -> None:
    clock, renewer = FakeClock(), Renewer()
    session = FakeSession({"token-1"})  # token-0 revoked before its time
    api = api_with(session, clock, renewer)
    assert (await api.request("GET", "/api/config"))["state"] == "RUNNING"
    assert session.sent == ["token-0", "token-1"]
    assert renewer.calls == 1


async def test_a_second_401_is_an_error_not_a_loop() -> None:
    clock, renewer = FakeClock(), Renewer()
    session = FakeSession(set())
    api = api_with(session, clock, renewer)
    with pytest.raises(devenv.DevEnvError, match="HTTP 401"):
        await api.request("GET", "/api/config")
    assert session.sent == ["token-0", "token-1"]


async def test_requests_refused_together_renew_the_token_once() -> None:
    clock, renewer = FakeClock(), Renewer()
    session = FakeSession({"token-1"})
    api = api_with(session, clock, renewer)
    await asyncio.gather(*(api.request("GET", "/api/config") for _ in range(5)))
    assert renewer.calls == 1


async def test_a_stale_refresh_token_falls_back_to_a_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refused(*_args: object) -> dict[str, Any]:
        raise devenv.DevEnvError("/auth/token: HTTP 400")

    async def login(*_args: object) -> dict[str, Any]:
        return {"access_token": "a", "expires_in": 1800, "refresh_token": "new"}

    monkeypatch.setattr(auth, "refresh", refused)
    monkeypatch.setattr(auth, "login", login)
    state: dict[str, Any] = {"refresh_token": "old"}
    tokens = await devenv.renew_tokens(None, "http://hass", state)  # type: ignore[arg-type]
    assert tokens == {"access_token": "a", "expires_in": 1800, "refresh_token": "new"}
    assert state == {"refresh_token": "new"}


async def test_a_good_refresh_token_keeps_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refreshed(*_args: object) -> dict[str, Any]:
        return {"access_token": "b", "expires_in": 1800}

    monkeypatch.setattr(auth, "refresh", refreshed)
    state: dict[str, Any] = {"refresh_token": "kept"}
    tokens = await devenv.renew_tokens(None, "http://hass", state)  # type: ignore[arg-type]
    assert tokens == {"access_token": "b", "expires_in": 1800}
    assert state == {"refresh_token": "kept"}
