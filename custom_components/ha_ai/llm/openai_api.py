"""The OpenAI-compatible chat API: OpenAI itself, Ollama, LM Studio, vLLM and others.

It uses Home Assistant's shared aiohttp session. The key is sent only when one is
set (local servers need none). A refused key starts the entry's reauthentication,
where the user enters a new one; Home Assistant tells the user, and starts it once
however many calls are refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..engine.llm.prompt import LlmMessage
from .client import (
    LlmAuthError,
    LlmConnectionError,
    LlmNotFoundError,
    LlmResponseError,
    LlmTimeoutError,
    LlmTruncatedError,
)

# Low: the same finding should read the same way each time.
TEMPERATURE: Final = 0.2
MAX_RESPONSE_BYTES: Final = 1024 * 1024
ERROR_SNIPPET_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class OpenAiSettings:
    """Where the server is, the key (may be empty), the model, and the time limit."""

    base_url: str
    api_key: str
    model: str
    timeout: float


class OpenAiCompatibleBackend:
    """Chat completions at `{base_url}/chat/completions`."""

    def __init__(
        self,
        hass: HomeAssistant,
        settings: OpenAiSettings,
        *,
        entry: ConfigEntry | None = None,
    ) -> None:
        """Keep the settings and the entry whose key they hold.

        A refused key starts that entry's reauthentication; without an entry (a
        flow testing settings not saved yet) the form shows the error instead.
        """
        self._hass = hass
        self._base_url = settings.base_url.rstrip("/")
        self._api_key = settings.api_key
        self._model = settings.model
        self._timeout = settings.timeout
        self._entry = entry

    async def async_complete(
        self, messages: Sequence[LlmMessage], *, max_tokens: int
    ) -> str:
        """Return the text of the first choice; a cut-off answer is an error."""
        body = await self._async_request(
            "post", "/chat/completions", self._completion(messages, max_tokens)
        )
        choice = _first_choice(body)
        if choice.get("finish_reason") == "length":
            raise LlmTruncatedError(f"the answer reached {max_tokens} tokens")
        message = choice.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise LlmResponseError("the answer holds no text")
        return content

    async def async_test(self) -> None:
        """List the models; servers without that list get a one-token question."""
        try:
            body = await self._async_request("get", "/models", None)
        except LlmNotFoundError:
            messages = [LlmMessage(role="user", content="Say OK.")]
            _first_choice(
                await self._async_request(
                    "post", "/chat/completions", self._completion(messages, 1)
                )
            )
            return
        models = body.get("data")
        if not isinstance(models, list):
            return
        names = {model.get("id") for model in models if isinstance(model, dict)}
        if self._model not in names:
            raise LlmNotFoundError(
                f"the server has no model {self._model!r}", reason="model_not_found"
            )

    def _completion(
        self, messages: Sequence[LlmMessage], max_tokens: int
    ) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": TEMPERATURE,
        }

    async def _async_request(
        self, method: str, path: str, payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Return the JSON object the server answered, or raise the matching error."""
        url = self._base_url + path
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        session = async_get_clientsession(self._hass)
        try:
            async with (
                asyncio.timeout(self._timeout),
                session.request(method, url, json=payload, headers=headers) as response,
            ):
                status = response.status
                raw = await _async_read_bounded(response)
        except TimeoutError as err:
            raise LlmTimeoutError(
                f"{url}: no answer within {self._timeout:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise LlmConnectionError(f"{url}: {err or type(err).__name__}") from err
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            if self._entry is not None:
                self._entry.async_start_reauth(self._hass)
            raise LlmAuthError(f"{url}: the server refused the key (HTTP {status})")
        if status == HTTPStatus.NOT_FOUND:
            raise LlmNotFoundError(f"{url}: not found (HTTP 404)")
        if status >= HTTPStatus.BAD_REQUEST:
            snippet = raw[:ERROR_SNIPPET_CHARS].decode(errors="replace")
            raise LlmResponseError(
                f"{url}: HTTP {status} {snippet}", reason="http_error"
            )
        if len(raw) > MAX_RESPONSE_BYTES:
            raise LlmResponseError(f"{url}: the answer is larger than 1 MiB")
        try:
            body = json.loads(raw)
        except ValueError as err:
            raise LlmResponseError(f"{url}: the answer is not JSON") from err
        if not isinstance(body, dict):
            raise LlmResponseError(f"{url}: the answer is not a JSON object")
        return body


async def _async_read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """Return the body, or its first bytes past the limit (then it is refused)."""
    raw = bytearray()
    while len(raw) <= MAX_RESPONSE_BYTES:
        chunk = await response.content.read(MAX_RESPONSE_BYTES + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    return bytes(raw)


def _first_choice(body: dict[str, Any]) -> dict[str, Any]:
    """Return the first of the answer's choices."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmResponseError("the answer holds no choices")
    choice: dict[str, Any] = choices[0]
    return choice
