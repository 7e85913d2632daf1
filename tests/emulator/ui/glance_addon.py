"""The recording fake add-on plus UI extensions: three glances (one good with CORS, one without
a CORS header, one failing) and a web panel that verifies its ``signed_request``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
from flask import Response, jsonify, request

from addon.testing import LiveServer
from tests.emulator.fake_addon import FakeAddon


def ui_capabilities(base: str) -> dict[str, Any]:
    """Glance and webPanel entries with URLs under ``base`` (ending with '/')."""
    return {
        "glance": [
            {
                "key": "fake.builds",
                "name": {"value": "Builds"},
                "queryUrl": base + "glance/builds",
                "target": {"key": "fake.panel"},
                "weight": 20,
            },
            {"key": "fake.nocors", "name": {"value": "No CORS"}, "queryUrl": base + "glance/bare"},
            {"key": "fake.broken", "name": {"value": "Broken"}, "queryUrl": base + "glance/500"},
        ],
        "webPanel": [
            {
                "key": "fake.panel",
                "name": {"value": "Builds panel"},
                "url": base + "panel",
                "location": "hipchat.sidebar.right",
            }
        ],
    }


class GlanceAddon(FakeAddon):
    """A FakeAddon whose descriptor declares glances and a web panel, and serves them."""

    def __init__(self) -> None:
        super().__init__()
        self.edit = lambda doc: doc["capabilities"].update(
            ui_capabilities(doc["links"]["self"].removesuffix("descriptor"))
        )
        self.glance_requests: list[dict[str, Any]] = []
        self.app.add_url_rule("/glance/builds", "builds", self._builds)
        self.app.add_url_rule("/glance/bare", "bare", lambda: jsonify({"label": {"value": "x"}}))
        self.app.add_url_rule("/glance/500", "broken", lambda: Response("kaput", status=500))
        self.app.add_url_rule("/panel", "panel", self._panel)

    def _builds(self) -> Response:
        self.glance_requests.append(
            {"args": dict(request.args), "origin": request.headers.get("Origin")}
        )
        response = jsonify(
            {
                "label": {"type": "html", "value": "<b>4</b> builds<script>x()</script>"},
                "status": {"type": "lozenge", "value": {"label": "GOOD", "type": "success"}},
            }
        )
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        return response

    def _panel(self) -> Response:
        token = request.args.get("signed_request", "")
        try:
            issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
            claims = jwt.decode(token, self.secrets[issuer], algorithms=["HS256"])
        except (jwt.PyJWTError, KeyError):
            return Response("bad signed_request", status=401)
        page = f'<!doctype html><p id="panel">Builds panel for <code>{claims["iss"]}</code></p>'
        return Response(page, mimetype="text/html")


def serve_glance_addon(serve_app: Callable[..., LiveServer]) -> GlanceAddon:
    """A GlanceAddon served on a free port for the current test."""
    addon = GlanceAddon()
    addon.live = serve_app(addon.app)
    return addon
