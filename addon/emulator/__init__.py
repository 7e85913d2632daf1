"""A local HipChat: REST API v2, OAuth and capabilities document, in memory, for tests and demos.

``create_app(config)`` builds the Flask app; its state (``Emulator``) is at
``app.extensions["emulator"]``. Run it with ``python -m addon.emulator``.
"""

from __future__ import annotations

from addon.emulator.app import create_app
from addon.emulator.state import Emulator
from addon.emulator.tls import make_self_signed_cert, make_ssl_context

__all__ = ["Emulator", "create_app", "make_self_signed_cert", "make_ssl_context"]
