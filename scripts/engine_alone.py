"""Load HA AI's engine without Home Assistant, under its one name.

The engine is `custom_components.ha_ai.engine`, in the integration and in every
tool. Importing it the ordinary way first runs `custom_components/ha_ai/__init__.py`,
which sets the integration up and so imports Home Assistant: measured on the
development machine, `import custom_components.ha_ai.engine.habits.mining` takes
about ten times as long (5.7 s against 0.6 s) and four times the memory (145 MB
against 33 MB) as the engine alone. The offline tools (`scripts/analyze`, the
habit benchmarks) need only the engine, must run where Home Assistant is not
installed, and measure memory, so before their first import of the engine they
register `custom_components.ha_ai` as a plain package holding the integration's
folder, without running its `__init__`. The engine never imports the integration
(`tests/engine/test_engine_isolation.py`), so nothing else changes.

A process that sets the integration up (the tests, `scripts/develop`) must not
call this: Home Assistant would find the empty package instead of the integration.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

INTEGRATION = "custom_components.ha_ai"
INTEGRATION_DIR = Path(__file__).resolve().parents[1] / "custom_components" / "ha_ai"


def load_engine_alone(integration_dir: Path = INTEGRATION_DIR) -> None:
    """Make `custom_components.ha_ai.engine` importable without Home Assistant.

    `integration_dir` is where the integration's folder is: this checkout's, or
    another's whose engine a benchmark compares. Does nothing when the
    integration is loaded already.
    """
    if INTEGRATION in sys.modules:
        return
    spec = ModuleSpec(INTEGRATION, None, is_package=True)
    spec.submodule_search_locations = [str(integration_dir)]
    sys.modules[INTEGRATION] = importlib.util.module_from_spec(spec)
