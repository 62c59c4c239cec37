"""Reading a model's answer defensively: text in, a checked title and description out.

Models wrap JSON in prose or code fences, think aloud first (`<think>…</think>`),
stop half-way when they run out of tokens, or answer something else entirely. This
module finds the first complete JSON object in the answer and checks every field;
anything it cannot trust is refused with a reason, and the rendered suggestion
stands. The automation it returns is only a proposal: the caller narrows it
(`narrow`) and validates it.

The title and description become plain text here: a Markdown link keeps its
words and loses its address, an image its address, raw HTML its tags, and a bare
address is removed, so nothing the model wrote can become a live link, a remote
image or markup wherever the text is shown.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from .prompt import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, clean_text

MAX_ANSWER_CHARS: Final = 64 * 1024
# Tried JSON starts: prose before the answer may hold a few stray braces.
MAX_ATTEMPTS: Final = 20

_THINKING: Final = re.compile(
    r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL
)
_THINKING_END: Final = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_THINKING_OPEN: Final = re.compile(r"<(?:think|thinking|reasoning)>", re.IGNORECASE)
_FENCE: Final = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
# Markdown and HTML that could show something other than the words: each made
# into its words (or nothing), again until nothing changes.
_IMAGE: Final = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK: Final = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_DEFINITION: Final = re.compile(r"^[ \t]*\[[^\[\]]*\]:[ \t]*\S*", re.MULTILINE)
_REFERENCE: Final = re.compile(r"\[([^\[\]]*)\]\s*(?:\[[^\[\]]*\]|:\s*\S+)")
_HTML: Final = re.compile(r"<[!/?A-Za-z][^<>]*>?|<>")
_ADDRESS: Final = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:/{1,3}|www\.|(?:javascript|data|mailto|vbscript):)\S*",
    re.IGNORECASE,
)
_MAX_PASSES: Final = 8
_BRACKETS: Final = str.maketrans("", "", "<>[]()")
# A lone ">" opens nothing (HA AI writes menu paths as "Settings > Entities").
_MARKUP_LEFT: Final = re.compile(r"<|\]\s*[(\[:]|!\[")


class LlmOutputProblem(StrEnum):
    """Why an answer was refused (used in log lines and outcomes)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNFINISHED_THINKING = "unfinished_thinking"
    NO_JSON = "no_json"
    TRUNCATED = "truncated"
    INVALID_JSON = "invalid_json"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    TOO_LONG = "too_long"
    TOO_DEEP = "too_deep"


class LlmOutputError(ValueError):
    """The model's answer cannot be used; `reason` says why, `detail` where."""

    def __init__(self, reason: LlmOutputProblem, detail: str = "") -> None:
        """Keep the reason for the caller's outcome and log line."""
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class LlmSuggestionText:
    """The checked answer: a title, a description, maybe an automation to validate."""

    title: str
    description: str
    automation: dict[str, Any] | None = None


def parse_suggestion(text: str) -> LlmSuggestionText:
    """Return the title, description and automation in a model's answer.

    Raises LlmOutputError when the answer is empty, too large, truncated, not JSON,
    or when a field is missing, of the wrong type or too long.
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise LlmOutputError(LlmOutputProblem.TOO_LARGE, f"{len(text)} characters")
    document = _first_object(_answer_part(text))
    title = _text_field(document, "title", TITLE_MAX_CHARS, multiline=False)
    description = _text_field(
        document, "description", DESCRIPTION_MAX_CHARS, multiline=True
    )
    automation = document.get("automation")
    if automation is not None and not isinstance(automation, dict):
        raise LlmOutputError(LlmOutputProblem.WRONG_TYPE, "automation")
    return LlmSuggestionText(title, description, automation or None)


def _answer_part(text: str) -> str:
    """Return the answer without thinking text and, if fenced, the fence's inside."""
    text = _THINKING.sub(" ", text)
    # Some servers drop the opening tag and send only the closing one.
    if end := None if not (ends := list(_THINKING_END.finditer(text))) else ends[-1]:
        text = text[end.end() :]
    if _THINKING_OPEN.search(text):
        raise LlmOutputError(LlmOutputProblem.UNFINISHED_THINKING)
    fences = [
        match.group(1) for match in _FENCE.finditer(text) if "{" in match.group(1)
    ]
    if fences:
        return fences[0]
    # An opening fence without its end: the answer was cut off inside it.
    return re.sub(r"^\s*```[A-Za-z0-9_-]*", "", text)


def _first_object(text: str) -> dict[str, Any]:
    """Return the first complete JSON object in `text`.

    A brace-balanced part that is not JSON (prose like "{see below}") is skipped;
    an object still open at the end of the text means the answer was cut off.
    """
    if not text.strip():
        raise LlmOutputError(LlmOutputProblem.EMPTY)
    decoder = json.JSONDecoder()
    problem = LlmOutputProblem.NO_JSON
    start = text.find("{")
    for _ in range(MAX_ATTEMPTS):
        if start < 0:
            break
        try:
            value, _end = decoder.raw_decode(text, start)
        except RecursionError:
            raise LlmOutputError(LlmOutputProblem.TOO_DEEP) from None
        except json.JSONDecodeError:
            if (end := _balanced_end(text, start)) is None:
                raise LlmOutputError(LlmOutputProblem.TRUNCATED) from None
            problem = LlmOutputProblem.INVALID_JSON
            start = text.find("{", end)
            continue
        document: dict[str, Any] = value  # decoding at "{" gives an object
        return document
    raise LlmOutputError(problem)


def _balanced_end(text: str, start: int) -> int | None:
    """Return where the brace at `start` is closed, or None if it never is."""
    depth = 0
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _text_field(
    document: dict[str, Any], key: str, limit: int, *, multiline: bool
) -> str:
    """Return a required text field, cleaned of control characters and checked."""
    if key not in document or document[key] is None:
        raise LlmOutputError(LlmOutputProblem.MISSING_FIELD, key)
    value = document[key]
    if not isinstance(value, str):
        raise LlmOutputError(LlmOutputProblem.WRONG_TYPE, key)
    # Control characters become spaces before the markup is looked for: `]`, a
    # backspace and `(` would otherwise become a link once cleaned. Removing
    # markup only leaves spaces to tidy, which cannot make markup again.
    lines = (clean_text(line) for line in plain_text(_spaced(value)).splitlines())
    text = ("\n" if multiline else " ").join(line for line in lines if line)
    if not text:
        raise LlmOutputError(LlmOutputProblem.MISSING_FIELD, key)
    if len(text) > limit:
        raise LlmOutputError(LlmOutputProblem.TOO_LONG, f"{key}: {len(text)}")
    return unicodedata.normalize("NFC", text)


def _spaced(text: str) -> str:
    """Return `text` one line per line, each without control characters."""
    return "\n".join(clean_text(line) for line in text.splitlines())


def plain_text(text: str) -> str:
    """Return `text` without Markdown links or images, HTML, or web addresses.

    A link keeps its words, an image its alternative text; tags and addresses
    go. Passes repeat until nothing changes, so markup hidden inside markup
    goes too; should some still be left after the last pass, every bracket goes
    (and the addresses that leaves).
    """
    for _ in range(_MAX_PASSES):
        cleaned = _DEFINITION.sub("", text)
        cleaned = _IMAGE.sub(r"\1", cleaned)
        cleaned = _LINK.sub(r"\1", cleaned)
        cleaned = _REFERENCE.sub(r"\1", cleaned)
        cleaned = _HTML.sub("", cleaned)
        cleaned = _ADDRESS.sub("", cleaned)
        if cleaned == text:
            break
        text = cleaned
    if cleaned != text or _MARKUP_LEFT.search(text):
        text = text.translate(_BRACKETS)
        # Each removal shortens the text, so this ends.
        while (cleaned := _ADDRESS.sub("", text)) != text:
            text = cleaned
    return text
