"""Reading a model's answer: what is accepted, and every reason for a refusal."""

from __future__ import annotations

import json

import pytest

from custom_components.ha_ai.engine.llm.parse import (
    MAX_ANSWER_CHARS,
    LlmOutputError,
    LlmOutputProblem,
    LlmSuggestionText,
    parse_suggestion,
)

GOOD = {
    "title": "Wake up with the bedroom light",
    "description": "Turns the bedroom light on at 06:07 on weekdays.",
}
GOOD_TEXT = json.dumps(GOOD)
AUTOMATION = {
    "alias": "Bedroom light at 06:07",
    "triggers": [{"trigger": "time", "at": "06:07:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}],
}
EXPECTED = LlmSuggestionText(GOOD["title"], GOOD["description"], None)


@pytest.mark.parametrize(
    "text",
    [
        GOOD_TEXT,
        f"  {GOOD_TEXT}\n",
        f"```json\n{GOOD_TEXT}\n```",
        f"```\n{GOOD_TEXT}```",
        f"Here is the suggestion:\n```JSON\n{GOOD_TEXT}\n```\nEnjoy!",
        f"Sure! {GOOD_TEXT} Let me know if you want more.",
        f"<think>The user wants {{a title}}. Let me think.</think>\n{GOOD_TEXT}",
        f"<THINKING>hmm</THINKING><reasoning>ok {{</reasoning>{GOOD_TEXT}",
        f"The names are {{data}}; so: {GOOD_TEXT}",
        f"reasoning without an opening tag {{</think>{GOOD_TEXT}",
        f"```\nno json here\n```\n{GOOD_TEXT}",
        f"{GOOD_TEXT}\n{{'second': 'ignored'}}",
        json.dumps({**GOOD, "automation": None, "extra": "ignored"}),
    ],
)
def test_accepted_answers(text: str) -> None:
    assert parse_suggestion(text) == EXPECTED


def test_automation_is_returned_for_the_caller_to_validate() -> None:
    text = json.dumps({**GOOD, "automation": AUTOMATION})
    assert parse_suggestion(text) == LlmSuggestionText(
        GOOD["title"], GOOD["description"], AUTOMATION
    )
    # An empty object proposes nothing.
    assert parse_suggestion(json.dumps({**GOOD, "automation": {}})) == EXPECTED


def test_fields_are_cleaned() -> None:
    text = json.dumps(
        {
            "title": "  Morning\u202e light\x07\n ",
            "description": "Line one\x1b[31m\r\n\n  line\u200b two  ",
        }
    )
    assert parse_suggestion(text) == LlmSuggestionText(
        "Morning light", "Line one [31m\nline two", None
    )


def test_fields_at_their_limits_are_accepted() -> None:
    text = json.dumps({"title": "T" * 80, "description": "D" * 400})
    parsed = parse_suggestion(text)
    assert len(parsed.title) == 80
    assert len(parsed.description) == 400


@pytest.mark.parametrize(
    ("text", "problem", "detail"),
    [
        ("", LlmOutputProblem.EMPTY, ""),
        ("   \n", LlmOutputProblem.EMPTY, ""),
        ("<think>all thinking</think>", LlmOutputProblem.EMPTY, ""),
        ("I cannot help with that.", LlmOutputProblem.NO_JSON, ""),
        ("[1, 2, 3]", LlmOutputProblem.NO_JSON, ""),
        ("<think>still thinking when the tokens ran out", None, ""),
        ('{"title": "Wake up", "descr', LlmOutputProblem.TRUNCATED, ""),
        ('```json\n{"title": "Wake up", "description": "Tur', None, ""),
        ('{"title": "a \\" {", "description": [', LlmOutputProblem.TRUNCATED, ""),
        ("{'title': 'single quotes'}", LlmOutputProblem.INVALID_JSON, ""),
        ('{"title": "x",}', LlmOutputProblem.INVALID_JSON, ""),
        ("see {this} and {that}", LlmOutputProblem.INVALID_JSON, ""),
        ("see {nested {braces}} only", LlmOutputProblem.INVALID_JSON, ""),
        ('{"description": "no title"}', LlmOutputProblem.MISSING_FIELD, "title"),
        (
            '{"title": null, "description": "d"}',
            LlmOutputProblem.MISSING_FIELD,
            "title",
        ),
        ('{"title": " \\n ", "description": "d"}', None, "title"),
        ('{"title": "t"}', LlmOutputProblem.MISSING_FIELD, "description"),
        ('{"title": 5, "description": "d"}', LlmOutputProblem.WRONG_TYPE, "title"),
        ('{"title": "t", "description": ["d"]}', None, "description"),
        (
            '{"title": "t", "description": "d", "automation": "lock.unlock"}',
            LlmOutputProblem.WRONG_TYPE,
            "automation",
        ),
        (
            '{"title": "t", "description": "d", "automation": [1]}',
            LlmOutputProblem.WRONG_TYPE,
            "automation",
        ),
        (json.dumps({"title": "T" * 81, "description": "d"}), None, "title: 81"),
        (
            json.dumps({"title": "t", "description": "D" * 401}),
            LlmOutputProblem.TOO_LONG,
            "description: 401",
        ),
    ],
)
def test_refused_answers(
    text: str, problem: LlmOutputProblem | None, detail: str
) -> None:
    with pytest.raises(LlmOutputError) as caught:
        parse_suggestion(text)
    if problem is not None:
        assert caught.value.reason is problem
    assert caught.value.detail == detail
    assert str(caught.value) == (
        f"{caught.value.reason}: {detail}" if detail else caught.value.reason
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<think>still thinking", LlmOutputProblem.UNFINISHED_THINKING),
        ('```json\n{"title": "Wake up", "d', LlmOutputProblem.TRUNCATED),
        ('{"title": " \\n ", "description": "d"}', LlmOutputProblem.MISSING_FIELD),
        ('{"title": "t", "description": ["d"]}', LlmOutputProblem.WRONG_TYPE),
        (
            json.dumps({"title": "T" * 81, "description": "d"}),
            LlmOutputProblem.TOO_LONG,
        ),
    ],
)
def test_refusal_reasons(text: str, problem: LlmOutputProblem) -> None:
    with pytest.raises(LlmOutputError) as caught:
        parse_suggestion(text)
    assert caught.value.reason is problem


def test_oversized_answers_are_refused_before_parsing() -> None:
    with pytest.raises(LlmOutputError) as caught:
        parse_suggestion(GOOD_TEXT + " " * MAX_ANSWER_CHARS)
    assert caught.value.reason is LlmOutputProblem.TOO_LARGE


def test_a_limited_number_of_brace_groups_is_tried() -> None:
    with pytest.raises(LlmOutputError) as caught:
        parse_suggestion("{x} " * 30 + GOOD_TEXT)
    assert caught.value.reason is LlmOutputProblem.INVALID_JSON
