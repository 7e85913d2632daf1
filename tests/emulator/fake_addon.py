"""A minimal HipChat add-on written for the add-on-side tests: a descriptor, an install callback
that fetches ``capabilitiesUrl``, checks ``links.self`` and mints a token, JWT-verified webhook
endpoints that can answer with a reply body, the uninstall DELETE and the uninstalledUrl page.

Everything it receives is recorded on the object, so tests can assert on it; its answers are
configurable attributes. It uses only Flask, requests and PyJWT (no framework code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import requests
from flask import Flask, Response, jsonify, redirect, request

from addon.testing import LiveServer

SCOPES = ["send_notification", "view_room"]

DEFAULT_HOOKS: list[dict[str, Any]] = [
    {"event": "room_message", "pattern": "^/echo", "url": "hook/echo", "key": "echo"},
    {"event": "room_notification", "url": "hook/notes", "key": "notes"},
    {"event": "room_enter", "url": "hook/enter", "key": "enter"},
    {"event": "room_exit", "url": "hook/exit", "key": "exit"},
    {"event": "room_topic_change", "url": "hook/topic", "key": "topic"},
]


class FakeAddon:
    """The add-on under test's control; serve ``app`` and set ``live`` (see ``serve``)."""

    def __init__(self, hooks: list[dict[str, Any]] | None = None) -> None:
        self.hooks = DEFAULT_HOOKS if hooks is None else hooks
        self.installable: dict[str, Any] = {}
        self.edit: Callable[[dict[str, Any]], Any] | None = None
        self.install_answer: tuple[int, str] = (201, "")
        self.install_delay = 0.0
        self.delete_answer: tuple[int, str] = (204, "")
        self.replies: dict[str, Any] = {}
        self.gate: threading.Event | None = None
        self.on_install: Callable[[dict[str, Any]], Any] | None = None
        self.installs: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.uninstalls: list[dict[str, Any]] = []
        self.installables: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = {}
        self.token_url = ""
        self.live: LiveServer | None = None
        self.app = self._build()

    @property
    def url(self) -> str:
        """The add-on's base URL (no trailing slash)."""
        assert self.live is not None, "serve the fake add-on first"
        return self.live.url

    @property
    def descriptor_url(self) -> str:
        """Where its descriptor is served."""
        return f"{self.url}/descriptor"

    def hooks_named(self, name: str) -> list[dict[str, Any]]:
        """The webhook POSTs received on ``/hook/<name>``, oldest first."""
        return [r for r in self.received if r["name"] == name]

    def descriptor(self, base: str) -> dict[str, Any]:
        """The descriptor, with URLs under ``base`` (ending with '/')."""
        doc: dict[str, Any] = {
            "key": "com.example.fake",
            "name": "Fake Add-on",
            "description": "Records what HipChat sends it",
            "links": {"self": base + "descriptor"},
            "capabilities": {
                "installable": {"callbackUrl": base + "installable", **self.installable},
                "hipchatApiConsumer": {"scopes": SCOPES, "fromName": "Fake Bot"},
                "webhook": [{**h, "url": base + h["url"]} for h in self.hooks],
                "configurable": {"url": base + "configure"},
            },
        }
        if self.edit is not None:
            self.edit(doc)
        return doc

    def _build(self) -> Flask:
        app = Flask(__name__)
        app.add_url_rule(
            "/descriptor", "descriptor", lambda: jsonify(self.descriptor(request.host_url))
        )
        app.add_url_rule("/installable", "install", self._install, methods=["POST"])
        app.add_url_rule(
            "/installable/<oauth_id>", "uninstall", self._uninstall, methods=["DELETE"]
        )
        app.add_url_rule("/hook/<name>", "hook", self._hook, methods=["POST"])
        app.add_url_rule("/uninstalled", "uninstalled", self._uninstalled)
        return app

    def _install(self) -> Response:
        data = request.get_json()
        self.installs.append(data)
        self.secrets[data["oauthId"]] = data["oauthSecret"]
        caps = requests.get(data["capabilitiesUrl"], timeout=5).json()
        self.token_url = caps["capabilities"]["oauth2Provider"]["tokenUrl"]
        minted = requests.post(
            self.token_url,
            auth=(data["oauthId"], data["oauthSecret"]),
            data={"grant_type": "client_credentials", "scope": " ".join(SCOPES)},
            timeout=5,
        )
        self.checks.append(
            {
                "self_ok": caps["links"]["self"] == data["capabilitiesUrl"],
                "token_status": minted.status_code,
                "token": minted.json(),
            }
        )
        if self.on_install is not None:
            self.on_install(data)
        if self.install_delay:
            time.sleep(self.install_delay)
        status, body = self.install_answer
        return Response(body, status=status)

    def _uninstall(self, oauth_id: str) -> Response:
        minted = requests.post(
            self.token_url,
            auth=(oauth_id, self.secrets.get(oauth_id, "")),
            data={"grant_type": "client_credentials"},
            timeout=5,
        )
        self.uninstalls.append(
            {"oauth_id": oauth_id, "token_status": minted.status_code, "body": request.get_data()}
        )
        status, body = self.delete_answer
        return Response(body, status=status)

    def _hook(self, name: str) -> Response:
        header = request.headers.get("Authorization", "")
        record: dict[str, Any] = {
            "name": name,
            "body": request.get_json(),
            "content_type": request.headers.get("Content-Type"),
            "claims": None,
            "jwt_error": None,
            "signed": header.startswith("JWT "),
        }
        if record["signed"]:
            token = header[4:]
            try:
                issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
                record["claims"] = jwt.decode(
                    token,
                    self.secrets[issuer],
                    algorithms=["HS256"],
                    options={"require": ["iss", "iat", "exp"]},
                )
            except (jwt.PyJWTError, KeyError) as exc:
                record["jwt_error"] = repr(exc)
        self.received.append(record)
        if self.gate is not None:
            self.gate.wait(5)
        answer = self.replies.get(name)
        if answer is None:
            return Response(status=204)
        status, payload = answer if isinstance(answer, tuple) else (200, answer)
        if isinstance(payload, dict):
            response = jsonify(payload)
            response.status_code = status
            return response
        return Response(payload, status=status)

    def _uninstalled(self) -> Response:
        data = requests.get(request.args["installable_url"], timeout=5).json()
        self.installables.append(data)
        return redirect(request.args["redirect_url"], code=302)


def serve(serve_app: Callable[..., LiveServer], **kwargs: Any) -> FakeAddon:
    """A FakeAddon served on a free port for the current test."""
    fake = FakeAddon(**kwargs)
    fake.live = serve_app(fake.app)
    return fake
