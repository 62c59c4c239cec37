"""Run the offline analyser: `python -m scripts.analyzer`, as `scripts/analyze` does."""

from __future__ import annotations

import sys

from scripts.engine_alone import load_engine_alone


def run() -> int:
    """Load the engine on its own, then analyse what the command line names."""
    load_engine_alone()
    from .command_line import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
