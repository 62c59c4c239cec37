"""Reading a model's answer: what is accepted, and every reason for a refusal."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.llm.parse import (
    MAX_ANSWER_CHARS,
    LlmOutputError,
    LlmOutputProblem,
    LlmSuggestionText,
    parse_suggestion,
    plain_text,
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


# Markdown, images and HTML in an answer: plain text once parsed.

HOSTILE_TEXTS = {
    "markdown_link": (
        "Read [the manual](https://evil.example/login) first.",
        "Read the manual first.",
    ),
    "remote_image": (
        "Look ![tracker](https://evil.example/p.png) here",
        "Look tracker here",
    ),
    "raw_html": ('<img src=x onerror="alert(1)">Hi <b>there</b>', "Hi there"),
    "bare_address": ("Confirm at https://evil.example/a?b=c now", "Confirm at now"),
    "www_address": ("Go to www.evil.example today", "Go to today"),
    "script_address": ("Click javascript:alert(1)", "Click"),
    "nested_link": ("[[x](https://a.example)](https://b.example)", "x"),
    "address_split_by_a_tag": ("ht<b>tp://evil.example", ""),
    "reference_link": ("[Log in][1]\n[1]: https://evil.example", "Log in"),
    "html_comment": ("a<!-- hidden -->b", "ab"),
}


@pytest.mark.parametrize("case", HOSTILE_TEXTS)
def test_markdown_links_images_and_html_in_answers_become_plain_text(case: str) -> None:
    hostile, expected = HOSTILE_TEXTS[case]
    answer = json.dumps({"title": f"T {hostile}", "description": f"D {hostile}"})
    parsed = parse_suggestion(answer)
    assert parsed.title == " ".join(f"T {expected}".split())
    assert " ".join(parsed.description.split()) == " ".join(f"D {expected}".split())


def test_an_answer_nested_beyond_the_parser_is_refused_not_raised() -> None:
    # 30,000 levels fit in the 64 KiB an answer may have; the decoder would
    # raise RecursionError.
    nested = (
        '{"title": "t", "description": "d", "x": ' + "[" * 30_000 + "]" * 30_000 + "}"
    )
    assert len(nested) <= MAX_ANSWER_CHARS
    with pytest.raises(LlmOutputError) as raised:
        parse_suggestion(nested)
    assert raised.value.reason == LlmOutputProblem.TOO_DEEP


_MARKUP = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "[",
                "]",
                "(",
                ")",
                "![",
                "](",
                "<",
                ">",
                "</",
                "<img src=x>",
                "<script>",
                "<!--",
                "-->",
                "http",
                "https://",
                "://",
                "www.",
                "javascript:",
                "evil.example",
                "\n",
                "**",
                "`",
                "&lt;",
            ]
        ),
    ),
    max_size=30,
).map("".join)
_LINK = re.compile(r"\]\s*[(\[:]|!\[")
_TAG = re.compile(r"<[!/?A-Za-z]")
_ADDRESS = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:/|www\.|javascript:|data:", re.IGNORECASE
)


@settings(max_examples=500)
@given(_MARKUP)
def test_no_link_image_tag_or_address_survives_plain_text(text: str) -> None:
    cleaned = plain_text(text)
    assert not _LINK.search(cleaned)
    assert not _TAG.search(cleaned)
    assert not _ADDRESS.search(cleaned)
    assert plain_text(cleaned) == cleaned


@settings(max_examples=300)
@given(_MARKUP, _MARKUP)
@example("0", "]\x08[")  # a control character between the brackets of a link
def test_hostile_titles_and_descriptions_are_plain_or_refused(
    title: str, description: str
) -> None:
    try:
        parsed = parse_suggestion(
            json.dumps({"title": title, "description": description})
        )
    except LlmOutputError:
        return
    for text in (parsed.title, parsed.description):
        assert not _LINK.search(text)
        assert not _TAG.search(text)
        assert not _ADDRESS.search(text)


def test_menu_paths_and_parentheses_stay() -> None:
    text = "Add one (Settings > Automations & scenes > Create automation)."
    assert plain_text(text) == text


def test_markup_nested_deeper_than_the_passes_loses_its_brackets() -> None:
    deep = "[" * 12 + "words" + "](a)" * 12 + " evil.example]://x"
    cleaned = plain_text(deep)
    assert "words" in cleaned
    assert not re.search(r"[\[\]()<>]|://|evil", cleaned)
