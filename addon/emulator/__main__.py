"""Entry point: ``python -m addon.emulator [serve] [--host H] [--port P] [--tls] [--empty]``."""

from __future__ import annotations

import sys

from addon.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
