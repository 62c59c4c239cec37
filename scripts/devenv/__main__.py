"""Run the development environment (`python -m scripts.devenv`, as scripts/develop)."""

from __future__ import annotations

import sys

from .develop import main

if __name__ == "__main__":
    sys.exit(main())
