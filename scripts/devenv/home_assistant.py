"""Home Assistant's configuration directory, the integration linked in, its process."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from .common import (
    INTEGRATION_DIR,
    LOOPBACK,
    REPO_ROOT,
    TEAMTRACKER_DIR,
    DevEnvError,
)
from .processes import Service, ServiceGroup

# Where the demo house is: a fresh install asks for these during onboarding,
# and without a country Home Assistant raises a repair on every new instance.
TIME_ZONE = "Europe/Amsterdam"
CORE_CONFIG = (
    "  latitude: 52.3731\n"
    "  longitude: 4.8922\n"
    "  elevation: 0\n"
    "  unit_system: metric\n"
    "  currency: EUR\n"
    "  country: NL\n"
    f"  time_zone: {TIME_ZONE}\n"
)
# The files the automation, script and scene editors write, as onboarding
# creates them.
EDITOR_FILES = {
    "automations.yaml": "[]\n",
    "scripts.yaml": "{}\n",
    "scenes.yaml": "[]\n",
}


def write_ha_config(
    config_dir: Path, http_port: int, *, debug: bool, extra_yaml: str = ""
) -> None:
    """Write a configuration.yaml like a default install's (not default_config).

    default_config pulls in a dozen integrations whose packages are not
    installed, and ``--skip-pip`` cannot install them. The file is rewritten on
    every run because the HTTP port may change; YAML of one's own goes into
    ``packages/``, which is kept. ``extra_yaml`` (top-level keys) is appended.
    """
    (config_dir / "packages").mkdir(parents=True, exist_ok=True)
    level, own_level = ("info", "debug") if debug else ("warning", "warning")
    # Two messages about optional accelerators on every start, not problems:
    # libturbojpeg is a system library (without it camera snapshots are served
    # unscaled), and
    # zlib_ng/isal are optional speed-ups of aiohttp's compression.
    logger = (
        f"logger:\n  default: {level}\n  logs:\n"
        f"    custom_components.ha_ai: {own_level}\n"
        "    homeassistant.components.camera.img_util: critical\n"
        "    aiohttp_fast_zlib: error\n"
    )
    (config_dir / "configuration.yaml").write_text(
        "# Rewritten on every run of scripts/develop or scripts/bench;\n"
        "# put your own YAML in packages/*.yaml.\n"
        "homeassistant:\n"
        "  name: HA AI development\n"
        f"{CORE_CONFIG}"
        "  packages: !include_dir_named packages\n"
        f"http:\n  server_host: {LOOPBACK}\n  server_port: {http_port}\n"
        "api:\nconfig:\nonboarding:\nrecorder:\nhistory:\n"
        # As a default install has them: what the UI's editors write (and what
        # HA AI deploys accepted suggestions into).
        "automation: !include automations.yaml\n"
        "script: !include scripts.yaml\n"
        "scene: !include scenes.yaml\n" + logger + extra_yaml,
        encoding="utf-8",
    )
    for name, empty in EDITOR_FILES.items():
        path = config_dir / name
        if not path.exists():
            path.write_text(empty, encoding="utf-8")


def skip_core_config_onboarding(config_dir: Path) -> None:
    """Mark the location step of onboarding done on a fresh config dir.

    Finishing that step makes Home Assistant set up met, radio_browser,
    google_translate and shopping_list, which need packages ``--skip-pip``
    does not install and the internet: tracebacks on the first run and a
    broken google_translate entry on every later one. Marking it done in the
    onboarding store (the format Home Assistant itself migrates from) avoids
    that; the user step still runs over REST, and location, units and time
    zone keep their defaults (editable in Settings).
    """
    storage = config_dir / ".storage"
    if (storage / "onboarding").exists() or (storage / "auth").exists():
        return
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config"]},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def link_integration(config_dir: Path) -> None:
    """Link HA AI and the TeamTracker stand-in in, so edits apply on restart.

    custom_components/ha_ai points at the working tree's integration, and
    custom_components/teamtracker at `scripts/devenv/teamtracker`, which only
    runs where the configuration sets a sensor of it up.
    """
    link_custom_component(config_dir, "ha_ai", INTEGRATION_DIR)
    link_custom_component(config_dir, "teamtracker", TEAMTRACKER_DIR)


def link_custom_component(config_dir: Path, domain: str, target: Path) -> None:
    """Point custom_components/<domain> at `target`; refuse to replace a copy."""
    link = config_dir / "custom_components" / domain
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.readlink() == target:
            return
        if link.is_dir() and not link.is_symlink():
            msg = f"{link} is a directory; remove it and run again"
            raise DevEnvError(msg)
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


async def start_hass(
    group: ServiceGroup,
    config_dir: Path,
    log_path: Path,
    echo: Callable[[str], bool] | None = None,
    *,
    append: bool = False,
) -> Service:
    """Start ``hass`` from this interpreter's venv without pip installs."""
    hass = Path(sys.executable).parent / "hass"
    return await group.start(
        "Home Assistant",
        [str(hass), "-c", str(config_dir), "--skip-pip"],
        log_path,
        echo,
        append=append,
        env=hass_environment(os.environ),
    )


def hass_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Return the environment for ``hass``: without the repository on PYTHONPATH.

    Home Assistant finds custom integrations in the ``custom_components``
    package of whatever comes first on ``sys.path`` after its configuration
    directory is unmounted: with the repository's root there (the scripts run
    with it on PYTHONPATH), that would be the repository's own folder, and the
    links of the configuration directory (the TeamTracker stand-in among them)
    would not be seen.
    """
    root = str(REPO_ROOT)
    env = dict(environ)
    kept = [
        part
        for part in env.get("PYTHONPATH", "").split(os.pathsep)
        if part and Path(part).resolve() != Path(root)
    ]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env
