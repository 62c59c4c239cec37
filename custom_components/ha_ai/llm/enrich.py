"""Friendlier text for suggestions, from the configured LLM, within fixed bounds.

For each finding, in order, at most `max_calls` per run, the model is asked for a
title, a description and maybe a better automation. Each call is bounded by the
timeout, and the whole run by a deadline (`BATCH_DEADLINE_CALLS` timeouts): the
suggestions wait for their announcement no longer than that, and the findings
not asked in time keep HA AI's own words. A proposed automation must first
narrow the one HA AI rendered for the finding (`engine.llm.narrow`: its own
entities, known trigger and condition kinds, the rendered services, no
template), then pass the caller's `validate` (the same safety rules and Home
Assistant validation as rendered automations); when it is refused, the whole
answer is dropped, so a device whose name tries to give the model orders cannot
lead to an automation nor to a title that misleads. Nothing a back-end raises
escapes: each finding gets either its text or the reason it has none, and the
rendered suggestion stands; one failed call never stops the next ones, except a
refused key (every next call would be refused too). Never called during set-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from ..const import LOGGER
from ..engine.llm.narrow import NarrowingRefusedError, narrow_answer
from ..engine.llm.parse import LlmOutputError, LlmSuggestionText, parse_suggestion
from ..engine.llm.prompt import (
    DEFAULT_PROMPT_TOKENS,
    RESPONSE_MAX_TOKENS,
    LlmFinding,
    build_messages,
)
from ..engine.log_text import log_safe
from .backends import LlmSettings, create_backend
from .client import LlmAuthError, LlmBackend, LlmError, LlmTimeoutError

type AutomationCheck = Callable[[dict[str, Any]], Awaitable[str | None]]

REASON_CALL_LIMIT: Final = "call_limit"
REASON_AUTOMATION_REFUSED: Final = "automation_refused"
REASON_UNEXPECTED: Final = "unexpected_error"
REASON_DEADLINE: Final = "deadline"
# A run of calls waits at most this many timeouts of one call, whatever the number
# of calls: a server that never answers holds the announcements no longer.
BATCH_DEADLINE_CALLS: Final = 2
# After a refused key, every next call would be refused the same way: the run
# stops asking. Any other failure is one call's: the next ones are asked.
_STOPPING_ERRORS: Final = (LlmAuthError,)


@dataclass(frozen=True, slots=True)
class LlmOutcome:
    """What the model gave one finding: its text, or why there is none."""

    finding_id: str
    text: LlmSuggestionText | None = None
    reason: str | None = None
    detail: str = ""

    @property
    def applied(self) -> bool:
        """Return whether the suggestion takes the model's text."""
        return self.text is not None


class LlmEnricher:
    """Ask one back-end for the text of a run's findings, within the bounds."""

    def __init__(  # noqa: PLR0913 - the bounds of a run, each named
        self,
        backend: LlmBackend,
        *,
        max_calls: int,
        timeout: float,
        language: str | None,
        prompt_tokens: int = DEFAULT_PROMPT_TOKENS,
        deadline: float | None = None,
    ) -> None:
        """Keep the back-end and the bounds of each run.

        `deadline` is the most a whole run may take, in seconds
        (`BATCH_DEADLINE_CALLS` timeouts unless given).
        """
        self._backend = backend
        self._max_calls = max_calls
        self._timeout = timeout
        self._deadline = (
            timeout * BATCH_DEADLINE_CALLS if deadline is None else deadline
        )
        self._language = language
        self._prompt_tokens = prompt_tokens

    @classmethod
    def from_settings(
        cls,
        hass: HomeAssistant,
        settings: LlmSettings,
        entry: ConfigEntry | None = None,
    ) -> LlmEnricher | None:
        """Return the enricher the settings configure, or None without an LLM.

        A refused key starts the reauthentication of `entry`, the settings' entry.
        """
        if (backend := create_backend(hass, settings, entry=entry)) is None:
            return None
        return cls(
            backend,
            max_calls=settings.max_calls,
            timeout=settings.timeout,
            language=hass.config.language,
        )

    async def async_enrich(
        self, findings: Sequence[LlmFinding], validate: AutomationCheck
    ) -> list[LlmOutcome]:
        """Return one outcome per finding, in the same order, within the deadline."""
        outcomes: list[LlmOutcome] = []
        stopped: LlmError | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        for index, finding in enumerate(findings):
            remaining = deadline - loop.time()
            if stopped is not None:
                outcomes.append(
                    LlmOutcome(
                        finding.finding_id, reason=stopped.reason, detail="not asked"
                    )
                )
            elif index >= self._max_calls:
                outcomes.append(
                    LlmOutcome(finding.finding_id, reason=REASON_CALL_LIMIT)
                )
            elif remaining <= 0:
                outcomes.append(
                    LlmOutcome(
                        finding.finding_id, reason=REASON_DEADLINE, detail="not asked"
                    )
                )
            else:
                attempt = await self._async_enrich_one(
                    finding, validate, min(self._timeout, remaining)
                )
                outcomes.append(attempt.outcome)
                if isinstance(attempt.error, _STOPPING_ERRORS):
                    stopped = attempt.error
        if skipped := sum(outcome.reason == REASON_DEADLINE for outcome in outcomes):
            LOGGER.warning(
                "The LLM did not answer in time: %d suggestions keep HA AI's words",
                skipped,
            )
        return outcomes

    async def _async_enrich_one(
        self, finding: LlmFinding, validate: AutomationCheck, within: float
    ) -> _Attempt:
        """Ask about one finding; every failure becomes a reason."""
        finding_id = finding.finding_id
        try:
            text = await self._async_ask(finding, within)
            suggestion = narrow_answer(
                parse_suggestion(text),
                finding.automation,
                [entity.entity_id for entity in finding.entities],
            )
            refusal = None
            if suggestion.automation is not None:
                refusal = await validate(suggestion.automation)
        except NarrowingRefusedError as err:
            refusal = f"not a narrowing of HA AI's suggestion: {err}"
        except LlmError as err:
            LOGGER.warning(
                "LLM gave no text for %s: %s", finding_id, log_safe(str(err))
            )
            return _Attempt(
                LlmOutcome(finding_id, reason=err.reason, detail=str(err)), err
            )
        except LlmOutputError as err:
            LOGGER.debug(
                "LLM answer for %s refused: %s", finding_id, log_safe(str(err))
            )
            return _Attempt(
                LlmOutcome(finding_id, reason=f"output_{err.reason}", detail=str(err))
            )
        except Exception as err:  # noqa: BLE001 - a back-end or check must never break a run
            LOGGER.warning("LLM text for %s failed: %s", finding_id, log_safe(err))
            return _Attempt(
                LlmOutcome(finding_id, reason=REASON_UNEXPECTED, detail=repr(err))
            )
        if refusal is not None:
            LOGGER.warning(
                "LLM answer for %s dropped, its automation was refused: %s",
                finding_id,
                log_safe(refusal),
            )
            return _Attempt(
                LlmOutcome(finding_id, reason=REASON_AUTOMATION_REFUSED, detail=refusal)
            )
        LOGGER.debug("LLM text for %s: %s", finding_id, log_safe(suggestion.title))
        return _Attempt(LlmOutcome(finding_id, text=suggestion))

    async def _async_ask(self, finding: LlmFinding, within: float) -> str:
        """Return the model's answer about one finding, within `within` seconds."""
        messages = build_messages(
            finding, language=self._language, max_tokens=self._prompt_tokens
        )
        try:
            async with asyncio.timeout(within):
                return await self._backend.async_complete(
                    messages, max_tokens=RESPONSE_MAX_TOKENS
                )
        except TimeoutError as err:
            raise LlmTimeoutError(f"no answer within {within:g} s") from err


def applied_texts(outcomes: Sequence[LlmOutcome]) -> dict[str, LlmSuggestionText]:
    """Return the text of each finding that takes the model's answer, by its id."""
    return {
        outcome.finding_id: outcome.text
        for outcome in outcomes
        if outcome.text is not None
    }


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One finding's outcome, with the back-end error that may stop the run."""

    outcome: LlmOutcome
    error: LlmError | None = None
