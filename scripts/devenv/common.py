"""What the development environment shares: places, time limits, errors, log line."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "ha_ai"
# A stand-in for TeamTracker (see its __init__), linked in beside HA AI.
TEAMTRACKER_DIR = Path(__file__).resolve().parent / "teamtracker"
DEV_DIR = REPO_ROOT / ".dev"
DEFAULT_HTTP_PORT = 8123
LOOPBACK = "127.0.0.1"

# Any http(s) URL is a valid client id; a fixed one keeps a stored refresh token
# usable when the HTTP port changes between runs.
CLIENT_ID = "http://127.0.0.1/"
USERNAME = "dev"
PASSWORD = "dev"  # noqa: S105 - documented local development login, loopback only
START_TIMEOUT = 120.0

# An access token is renewed this many seconds before Home Assistant says it
# expires (after 30 minutes), so a request never goes out with a stale one.
TOKEN_RENEW_MARGIN = 60.0
STOP_TIMEOUT = 60.0
ENTRY_TIMEOUT = 60.0

# hass exits with this code when asked to restart, expecting to be started again.
RESTART_EXIT_CODE = 100
HA_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) ")
JSON = dict[str, Any]


class DevEnvError(Exception):
    """A step failed; the message says what to look at."""


class IntegrationUnavailableError(DevEnvError):
    """The ha_ai config flow cannot be started (integration missing or broken)."""


def log(message: str) -> None:
    """Report progress on stderr, so stdout stays free for results."""
    print(f"==> {message}", file=sys.stderr, flush=True)
