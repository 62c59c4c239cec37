"""A conversation agent standing in for a language model.

Home Assistant's conversation integration needs hassil, which not every test
environment has: import this module only after `pytest.importorskip("hassil")`.
"""

from __future__ import annotations

import json
from typing import Literal

from homeassistant.components import conversation
from homeassistant.helpers import intent

from .llm_fakes import GOOD_ANSWER


class FakeAgent(conversation.AbstractConversationAgent):
    """A conversation agent that speaks queued answers and keeps what it was told."""

    def __init__(self, *answers: str | Exception) -> None:
        self.answers = list(answers)
        self.inputs: list[conversation.ConversationInput] = []
        self.response_type: Literal["speech", "error"] = "speech"

    @property
    def supported_languages(self) -> Literal["*"]:
        return "*"

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.inputs.append(user_input)
        answer = self.answers.pop(0) if self.answers else json.dumps(GOOD_ANSWER)
        if isinstance(answer, Exception):
            raise answer
        response = intent.IntentResponse(language=user_input.language)
        if self.response_type == "error":
            response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, answer)
        else:
            response.async_set_speech(answer)
        return conversation.ConversationResult(response=response)
