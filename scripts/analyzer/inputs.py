"""Input files, read whole; an error says which file and why."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

EXIT_INPUT_ERROR = 2
MAX_INPUT_BYTES = 256 * 1024 * 1024
STDIN = "-"


class InputError(Exception):
    """An input file that cannot be analyzed; the message says why."""


def describe(path: Path, what: str) -> str:
    """Return how messages name an input file."""
    if str(path) == STDIN:
        return f"the {what} input (standard input)"
    return f"the {what} file {path}"


def read_input(path: Path, what: str) -> bytes:
    """Return the bytes of an input file (`-` is standard input)."""
    try:
        if str(path) == STDIN:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with path.open("rb") as file:
                data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise InputError(f"cannot read {describe(path, what)}: {reason(err)}") from err
    if len(data) > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // (1024 * 1024)
        raise InputError(f"{describe(path, what)} is larger than {limit} MB")
    return data


def reason(err: OSError) -> str:
    """Return why an operation on a file failed, in a few words."""
    return err.strerror or str(err)


def load_json(path: Path, what: str) -> object:
    """Return the decoded JSON of an input file."""
    data = read_input(path, what)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise InputError(f"{describe(path, what)} is not valid JSON: {err}") from err
