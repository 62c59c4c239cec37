"""Text from outside made safe for log lines and Markdown messages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.log_text import log_safe, markdown_safe


def test_a_newline_cannot_start_a_fake_log_line() -> None:
    name = "Lamp\n2026-12-01 06:07:00 ERROR (MainThread) [homeassistant.core] boom"
    assert "\n" not in log_safe(name)
    assert log_safe(name).startswith("Lamp\\n2026-12-01")


def test_invisible_and_reordering_characters_are_shown() -> None:
    assert log_safe("a\u202eb\u200bc\x1b[31m") == "a\\u202eb\\u200bc\\u001b[31m"


def test_a_lone_surrogate_is_escaped_and_encodes() -> None:
    assert log_safe("x\ud800y") == "x\\ud800y"
    log_safe("x\ud800y").encode()


def test_long_text_is_cut_with_an_ellipsis() -> None:
    assert log_safe("a" * 500, limit=10) == "a" * 9 + "…"
    assert log_safe("\n" * 500, limit=10).endswith("…")


def test_values_that_are_not_text_are_shown_as_their_repr() -> None:
    assert log_safe(["a", 1]) == "['a', 1]"


def test_markdown_links_images_and_html_become_literal() -> None:
    text = markdown_safe("![x](http://evil/p.png) [click](http://evil) <b>hi</b>")
    assert "](" not in text.replace("\\]\\(", "")
    assert "<b>" not in text
    assert text.startswith("\\!\\[x\\]\\(http://evil/p\\.png\\)")


@given(st.text())
def test_any_text_becomes_one_encodable_bounded_line(text: str) -> None:
    safe = log_safe(text, limit=50)
    assert "\n" not in safe
    assert "\r" not in safe
    assert len(safe) <= 50
    safe.encode()
    markdown_safe(text).encode()
