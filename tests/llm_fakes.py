"""Stand-ins for language models: an OpenAI-compatible server, an agent, AI Task."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

AI_TASK_MODULE = "homeassistant.components.ai_task"
GOOD_ANSWER = {
    "title": "Wake up with the bedroom light",
    "description": "Turns the bedroom light on at 06:07 on weekdays, as you do.",
}


def completion(content: str | None, finish_reason: str = "stop") -> dict[str, Any]:
    """Return a chat completion body in the OpenAI shape."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "llama3",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }


@dataclass
class Answer:
    """What the fake server answers next: a JSON body, or raw text; maybe late."""

    body: Any = None
    status: int = 200
    text: str | None = None
    slow: bool = False
    cut: bool = False  # the connection closes half-way through the answer


@dataclass
class FakeLlmServer:
    """An OpenAI-compatible API on 127.0.0.1 that answers what a test queued."""

    url: str = ""
    answers: list[Answer] = field(default_factory=list)
    models: list[str] | None = field(default_factory=lambda: ["llama3"])
    models_status: int = 200
    models_body: Any = None
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def queue(self, *answers: Answer | str) -> None:
        """Queue answers; a string is a completion with that content."""
        for answer in answers:
            self.answers.append(
                Answer(completion(answer)) if isinstance(answer, str) else answer
            )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(("chat", dict(request.headers), await request.json()))
        answer = (
            self.answers.pop(0)
            if self.answers
            else Answer(completion(json.dumps(GOOD_ANSWER)))
        )
        return await self._respond(answer, request)

    async def _models(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(("models", dict(request.headers), None))
        if self.models is None:
            return web.json_response({"error": "not found"}, status=404)
        body = self.models_body or {
            "object": "list",
            "data": [{"id": name} for name in self.models],
        }
        return await self._respond(Answer(body, status=self.models_status))

    async def _respond(
        self, answer: Answer, request: web.Request | None = None
    ) -> web.StreamResponse:
        if answer.slow:
            await self.release.wait()
        if answer.cut and request is not None and request.transport is not None:
            response = web.StreamResponse(
                headers={"Content-Type": "application/json", "Content-Length": "500"}
            )
            await response.prepare(request)
            await response.write(b'{"id": "chatcmpl-1", "choi')
            request.transport.close()
            return response
        if answer.text is not None:
            return web.Response(text=answer.text, status=answer.status)
        return web.json_response(answer.body, status=answer.status)


@asynccontextmanager
async def run_fake_server() -> AsyncGenerator[FakeLlmServer]:
    """Serve a FakeLlmServer on a free loopback port until the block ends."""
    server = FakeLlmServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server._chat)
    app.router.add_get("/v1/models", server._models)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server.release.set()
        await runner.cleanup()


async def register_fake_agent(hass: HomeAssistant) -> tuple[Any, str]:
    """Set up conversation with a fake agent; return it and its id."""
    pytest.importorskip("hassil")
    from homeassistant.components import conversation

    from .llm_fake_agent import FakeAgent

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = MockConfigEntry(domain="test_llm")
    entry.add_to_hass(hass)
    fake = FakeAgent()
    conversation.async_set_agent(hass, entry, fake)
    return fake, entry.entry_id


class FakeAiTask:
    """Stands in for Home Assistant's ai_task component (2025.8 and later)."""

    def __init__(self) -> None:
        self.data: Any = json.dumps(GOOD_ANSWER)
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    async def async_generate_data(
        self, hass: HomeAssistant, **kwargs: Any
    ) -> SimpleNamespace:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return SimpleNamespace(conversation_id="c", data=self.data)
