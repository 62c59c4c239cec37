"""The engine must run without Home Assistant: it imports nothing from it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).parents[2] / "custom_components" / "ha_ai" / "engine"


def test_engine_sources_never_import_homeassistant() -> None:
    sources = sorted(ENGINE.rglob("*.py"))
    assert sources
    for source in sources:
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "homeassistant", f"{source}: {name}"


def test_engine_imports_in_a_fresh_interpreter_without_loading_homeassistant() -> None:
    modules = sorted(
        ".".join(("custom_components", "ha_ai", "engine", *path.with_suffix("").parts))
        for path in (p.relative_to(ENGINE) for p in ENGINE.rglob("*.py"))
        if path.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "assert not [m for m in sys.modules if m.startswith('homeassistant')]\n"
    )
    # custom_components/ha_ai/__init__.py imports Home Assistant, so the engine is
    # loaded as a top-level package the way the offline tools load it.
    code = code.replace("custom_components.ha_ai.engine", "engine")
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ENGINE.parent,
        # Without the coverage plugin's variables: this child measures nothing.
        env={k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")},
        check=True,
        timeout=60,
    )
