"""What every LLM back-end offers, and the errors it raises.

A back-end turns chat messages into the model's text. HA AI has three: an
OpenAI-compatible HTTP API, a conversation agent the user already has, and Home
Assistant's AI Task entity. Each raises an `LlmError` whose `reason` is also the
config flow's error key, so the form and the log say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..engine.llm.prompt import LlmMessage


class LlmBackend(Protocol):
    """A model HA AI can ask for a suggestion's text."""

    async def async_complete(
        self, messages: Sequence[LlmMessage], *, max_tokens: int
    ) -> str:
        """Return the model's answer to `messages`, or raise LlmError."""

    async def async_test(self) -> None:
        """Check the model can be reached with these settings, or raise LlmError."""


class LlmError(Exception):
    """The back-end gave no usable answer; `reason` says why in one word."""

    reason = "unknown"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        """Keep a readable message; a specific `reason` may replace the class's."""
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class LlmConnectionError(LlmError):
    """Nothing answered: wrong address, server down, integration not loaded."""

    reason = "cannot_connect"


class LlmAuthError(LlmError):
    """The server refused the API key."""

    reason = "invalid_auth"


class LlmTimeoutError(LlmError):
    """No answer within the configured time."""

    reason = "timeout"


class LlmNotFoundError(LlmError):
    """The address, model, agent or entity does not exist."""

    reason = "not_found"


class LlmResponseError(LlmError):
    """An answer came, but not one HA AI can read (an HTTP error, garbage)."""

    reason = "invalid_response"


class LlmTruncatedError(LlmResponseError):
    """The model stopped because it ran out of tokens."""

    reason = "truncated"
