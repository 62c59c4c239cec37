"""Running a scenario against a real Home Assistant as a child process.

The real-HA tests start `hass` and mosquitto through a module of `scripts/`
(`python -m scripts.<module>`), which prints what it saw as JSON on stdout:
its own process, sockets and threads, outside pytest's event loop. Coverage is
not measured there: Home Assistant runs at its own speed, and the integration's
coverage comes from the tests in Home Assistant's harness.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import REQUIRED_PYTHON_VER

from scripts import devenv

from .broker import skip_without

ROOT = Path(__file__).resolve().parent.parent


def real_ha_marks(covered_by: str, *programs: str) -> list[pytest.MarkDecorator]:
    """Return the skip marks of a real-HA test; `covered_by` names its harness twin.

    `programs` are what it needs besides mosquitto (`mosquitto_passwd`, say).
    """
    return [
        skip_without("mosquitto", *programs),
        pytest.mark.skipif(
            sys.version_info[:3] < REQUIRED_PYTHON_VER,
            reason="this Home Assistant's hass refuses to start on this Python; "
            f"{covered_by}",
        ),
        pytest.mark.skipif(
            bool(devenv.missing_requirements(devenv.runtime_requirements())),
            reason="a real Home Assistant needs its frontend package "
            "(scripts/bench or scripts/develop installs it)",
        ),
    ]


def run_module(module: str, *args: str, timeout: float) -> str:
    """Run `python -m <module> <args>`; return its stdout, failing on an error."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")},
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    """Return the JSON objects of a module's output, one a line."""
    return [json.loads(line) for line in text.splitlines()]


def figures_by_name(text: str) -> dict[str, dict[str, Any]]:
    """Return a bench's figures (one JSON line each) by name."""
    return {figure["name"]: figure for figure in json_lines(text)}
