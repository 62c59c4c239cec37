"""Text for people: escaped, aligned in columns, counted in words."""

from __future__ import annotations

import unicodedata

from .inputs import STDIN

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def label(name: str) -> str:
    """Return how the text names an input file."""
    return "standard input" if name == STDIN else name


def clean(text: object) -> str:
    """Return text safe to print: control and format characters are escaped."""
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in UNSAFE_CATEGORIES else char
        for char in str(text)
    )


def shorten(text: str, width: int) -> str:
    """Return `text` cut to `width` characters, marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def table_lines(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Return rows of cells as lines, each column as wide as its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def plural(count: int, word: str, words: str | None = None) -> str:
    """Return `count word`, the word in the plural unless the count is 1."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
