"""The project's own tools, run as modules from the repository's root.

The shell wrappers (`scripts/analyze`, `scripts/develop`, `scripts/bench`,
`scripts/test`) run them as `python -m scripts.<tool>` with the repository's
root on `PYTHONPATH`, so every tool imports the engine and its fellow tools
under one name each (`custom_components.ha_ai.engine...`, `scripts.devenv`),
without changing `sys.path`. Tools that need only the engine load it without
Home Assistant first (`engine_alone.py`).
"""
