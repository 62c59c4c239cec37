"""What a real Home Assistant needs beyond the tests (its frontend), on demand."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .common import DevEnvError, log


def frontend_pin() -> str:
    """Read the frontend version Home Assistant itself pins.

    The ``frontend`` integration always loads; without this exact package Home
    Assistant starts in recovery mode and loads no custom integration.
    """
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        raise DevEnvError("homeassistant is not installed in this interpreter")
    constraints = Path(spec.submodule_search_locations[0]) / "package_constraints.txt"
    match = re.search(
        r"^home-assistant-frontend==(\S+)$",
        constraints.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    if match is None:
        msg = f"no home-assistant-frontend pin in {constraints}"
        raise DevEnvError(msg)
    return match.group(1)


def runtime_requirements() -> list[str]:
    """List what ``hass --skip-pip`` needs beyond the test environment.

    The test environment (``requirements_test.txt``) already brings Home
    Assistant's core requirements plus paho-mqtt and aiohttp; a minimal start
    with the mqtt integration showed that only the frontend is missing.
    """
    return [f"home-assistant-frontend=={frontend_pin()}"]


def missing_requirements(requirements: list[str]) -> list[str]:
    """Keep the ``name==version`` requirements not installed at that version."""
    missing = []
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            missing.append(requirement)
    return missing


def ensure_runtime_requirements() -> None:
    """Install the missing runtime packages into the running interpreter's venv.

    uv (exported as UV by scripts/_env.sh) is much faster than pip; pip is the
    fallback when the module is run by hand.
    """
    missing = missing_requirements(runtime_requirements())
    if not missing:
        return
    log(f"Installing {' '.join(missing)} into {sys.prefix}")
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv:
        command = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
        command += ["--python", sys.executable, *missing]
    else:
        command = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    # Installer chatter goes to stderr: scripts/bench keeps stdout for results.
    subprocess.run(command, check=True, stdout=sys.stderr)
    importlib.invalidate_caches()
