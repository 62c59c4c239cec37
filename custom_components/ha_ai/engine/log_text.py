"""Text from outside, made safe to put in a log line or a Markdown message.

Names, ids and reasons that arrive over MQTT or from an LLM are chosen by whoever
sent them. Written into a log as they are, a newline in a friendly name starts a
line that looks like Home Assistant's own `ERROR`; written into a persistent
notification, `[text](link)` becomes a live link. These helpers turn such text
into one visible, bounded line, and Markdown into literal characters.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_LOG_LIMIT: Final = 200
_ELLIPSIS: Final = "…"
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators,
# bidirectional overrides and zero-width marks: anything that moves or hides text.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff]"
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\u{ord(char):04x}")


def log_safe(value: object, limit: int = DEFAULT_LOG_LIMIT) -> str:
    r"""Return `value` as one visible line of at most `limit` characters.

    Control and invisible characters (newlines included) are written as escapes
    such as `\n` or `\u202e`, and lone surrogates, which cannot be encoded,
    too; a longer text is cut and ends with an ellipsis. Never raises.
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit * 2:
        text = text[: limit * 2]  # escaping never shortens, so this is enough
    escaped = _UNSAFE.sub(_escape_one, text)
    if len(escaped) > limit:
        return escaped[: max(limit - 1, 0)] + _ELLIPSIS
    return escaped


def markdown_safe(value: object, limit: int = DEFAULT_LOG_LIMIT) -> str:
    """Return `value` as plain text for a Markdown message: no link, image or HTML.

    Every character Markdown or HTML gives a meaning to is escaped with a
    backslash, after the text is made one safe line as for a log.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", log_safe(value, limit))
