"""The OpenAI-compatible back-end against a real local server."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator

import pytest
from homeassistant.core import HomeAssistant

from custom_components.ha_ai.engine.llm.parse import parse_suggestion
from custom_components.ha_ai.engine.llm.prompt import LlmMessage
from custom_components.ha_ai.llm.client import (
    LlmAuthError,
    LlmConnectionError,
    LlmError,
    LlmNotFoundError,
    LlmResponseError,
    LlmTimeoutError,
    LlmTruncatedError,
)
from custom_components.ha_ai.llm.openai_api import (
    MAX_RESPONSE_BYTES,
    OpenAiCompatibleBackend,
    OpenAiSettings,
)

from .llm_fakes import GOOD_ANSWER, Answer, FakeLlmServer, completion, run_fake_server

MESSAGES = [
    LlmMessage(role="system", content="Reply with JSON."),
    LlmMessage(role="user", content="Finding (data only): {}"),
]


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[FakeLlmServer]:
    async with run_fake_server() as server:
        yield server


def backend(
    hass: HomeAssistant,
    server: FakeLlmServer,
    *,
    key: str = "",
    timeout: float = 5,
) -> OpenAiCompatibleBackend:
    return OpenAiCompatibleBackend(
        hass,
        OpenAiSettings(
            base_url=server.base_url + "/", api_key=key, model="llama3", timeout=timeout
        ),
    )


async def test_good_json_and_the_request_sent(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    text = await backend(hass, server).async_complete(MESSAGES, max_tokens=300)
    assert parse_suggestion(text).title == GOOD_ANSWER["title"]
    ((kind, headers, body),) = server.requests
    assert kind == "chat"
    assert "Authorization" not in headers  # no key, no header
    assert body == {
        "model": "llama3",
        "messages": MESSAGES,
        "max_tokens": 300,
        "temperature": 0.2,
    }


async def test_key_is_sent_as_bearer(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    await backend(hass, server, key="sk-test").async_complete(MESSAGES, max_tokens=5)
    assert server.requests[0][1]["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(
    "content",
    [
        f"```json\n{json.dumps(GOOD_ANSWER)}\n```",
        f"<think>The user wants a title.</think>\n{json.dumps(GOOD_ANSWER)}",
    ],
)
async def test_fenced_and_thinking_answers_are_returned_for_parsing(
    hass: HomeAssistant, server: FakeLlmServer, content: str
) -> None:
    server.queue(content)
    text = await backend(hass, server).async_complete(MESSAGES, max_tokens=300)
    assert text == content
    assert parse_suggestion(text).description == GOOD_ANSWER["description"]


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        (
            Answer(completion('{"title": "Wake', finish_reason="length")),
            LlmTruncatedError,
            "truncated",
        ),
        (Answer(text="<html>Bad gateway</html>"), LlmResponseError, "invalid_response"),
        (Answer(text="[1, 2]"), LlmResponseError, "invalid_response"),
        (Answer({"choices": []}), LlmResponseError, "invalid_response"),
        (Answer({"choices": ["x"]}), LlmResponseError, "invalid_response"),
        (Answer({"object": "error"}), LlmResponseError, "invalid_response"),
        (Answer(completion(None)), LlmResponseError, "invalid_response"),
        (
            Answer({"choices": [{"message": "text", "finish_reason": "stop"}]}),
            LlmResponseError,
            "invalid_response",
        ),
        (Answer({"error": "boom"}, status=500), LlmResponseError, "http_error"),
        (Answer({"error": "no model"}, status=404), LlmNotFoundError, "not_found"),
        (
            Answer(text="x" * (MAX_RESPONSE_BYTES + 1)),
            LlmResponseError,
            "invalid_response",
        ),
    ],
)
async def test_unusable_answers_raise_clear_errors(
    hass: HomeAssistant,
    server: FakeLlmServer,
    answer: Answer,
    error: type[LlmError],
    reason: str,
) -> None:
    server.queue(answer)
    with pytest.raises(error) as caught:
        await backend(hass, server).async_complete(MESSAGES, max_tokens=300)
    assert caught.value.reason == reason
    assert (
        server.base_url in str(caught.value)
        or reason == "truncated"
        or (reason == "invalid_response" and "no" in str(caught.value))
    )


async def test_http_error_message_holds_the_status_and_a_snippet(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.queue(Answer(text="model overloaded " * 100, status=503))
    with pytest.raises(LlmResponseError) as caught:
        await backend(hass, server).async_complete(MESSAGES, max_tokens=300)
    message = str(caught.value)
    assert "HTTP 503 model overloaded" in message
    assert len(message) < 300


async def test_slow_answer_times_out(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.queue(Answer(completion("late"), slow=True))
    with pytest.raises(LlmTimeoutError, match="no answer within 0.1 s"):
        await backend(hass, server, timeout=0.1).async_complete(
            MESSAGES, max_tokens=300
        )


async def test_nothing_listening_is_a_connection_error(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    closed = OpenAiCompatibleBackend(
        hass,
        OpenAiSettings(
            base_url="http://127.0.0.1:9/v1", api_key="", model="m", timeout=5
        ),
    )
    with pytest.raises(LlmConnectionError) as caught:
        await closed.async_complete(MESSAGES, max_tokens=5)
    assert caught.value.reason == "cannot_connect"


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_key_is_an_auth_error(
    hass: HomeAssistant, server: FakeLlmServer, status: int
) -> None:
    server.queue(Answer({"error": "invalid api key"}, status=status))
    client = backend(hass, server, key="sk-old")
    with pytest.raises(LlmAuthError) as caught:
        await client.async_complete(MESSAGES, max_tokens=5)
    assert caught.value.reason == "invalid_auth"


async def test_connection_test_lists_the_models(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    await backend(hass, server).async_test()
    assert [kind for kind, _, _ in server.requests] == ["models"]


async def test_connection_test_finds_a_missing_model(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.models = ["mistral"]
    with pytest.raises(LlmNotFoundError) as caught:
        await backend(hass, server).async_test()
    assert caught.value.reason == "model_not_found"


async def test_connection_test_accepts_a_model_list_of_another_shape(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.models_body = {"models": [{"name": "llama3"}]}
    await backend(hass, server).async_test()


async def test_connection_test_without_a_model_list_asks_for_one_token(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.models = None
    server.queue(Answer(completion("O", finish_reason="length")))
    # One token of a completion is enough, cut off or not.
    await backend(hass, server).async_test()
    assert [kind for kind, _, _ in server.requests] == ["models", "chat"]
    assert server.requests[1][2]["max_tokens"] == 1


async def test_connection_test_fallback_reports_errors(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    server.models = None
    server.queue(Answer({"error": "no such path"}, status=404))
    with pytest.raises(LlmNotFoundError):
        await backend(hass, server).async_test()


async def test_a_large_answer_is_read_whole(
    hass: HomeAssistant, server: FakeLlmServer
) -> None:
    content = "x" * (MAX_RESPONSE_BYTES // 2)
    server.queue(content)
    assert await backend(hass, server).async_complete(MESSAGES, max_tokens=5) == content
