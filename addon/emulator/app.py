"""The emulator's Flask app factory: state, add-on side, error envelope, /v2 hooks, blueprints,
middleware."""

from __future__ import annotations

from typing import Any

from flask import Flask

from addon.emulator.addons import AddonHost
from addon.emulator.config import load_config
from addon.emulator.state import Emulator
from addon.emulator.views import BLUEPRINTS
from addon.emulator.web.errors import register_error_handlers
from addon.emulator.web.hooks import register_hooks
from addon.emulator.web.middleware import ConnectionDropMiddleware, SlashTolerantMiddleware


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A new emulator app with its own in-memory state at ``app.extensions["emulator"]``."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config.setdefault("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False
    state = Emulator({key: value for key, value in settings.items() if key.startswith("EMULATOR_")})
    app.extensions["emulator"] = state
    AddonHost.attach(state)  # installations and webhook delivery: state.addons
    register_error_handlers(app)
    register_hooks(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.wsgi_app = SlashTolerantMiddleware(  # type: ignore[method-assign]
        ConnectionDropMiddleware(app.wsgi_app)
    )
    return app
