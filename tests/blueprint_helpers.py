"""HA AI's blueprints as Home Assistant loads them, for the blueprint tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from homeassistant.components.blueprint import BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.util.yaml import load_yaml_dict

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "ha_ai"


def load_blueprint(path: Path) -> Blueprint:
    """Load and check a blueprint file as the blueprint integration does."""
    return Blueprint(
        load_yaml_dict(path), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )


def install_blueprint(config_dir: Path, path: Path) -> None:
    """Put the blueprint where Home Assistant looks, under `ha_ai/`, as an import does.

    configuration.yaml includes automations.yaml, where each test writes the
    automations it makes from the blueprint.
    """
    copy = config_dir / "blueprints" / "automation" / "ha_ai" / path.name
    copy.parent.mkdir(parents=True)
    shutil.copy(path, copy)
    (config_dir / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
