"""Helpers shared by the emulator tests: the ``Hub`` wrapper and error-envelope assertions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from addon.emulator import Emulator
from addon.testing import LiveServer


@dataclass
class Hub:
    """A running emulator: its URL, state, and helpers for the API and the admin API."""

    live: LiveServer
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:5000."""
        return self.live.url

    @property
    def state(self) -> Emulator:
        """The emulator's in-memory state."""
        return self.live.app.extensions["emulator"]

    def token(self, scopes: list[str] | None = None, user: Any = "@ada", **extra: Any) -> str:
        """Mint a token through the admin API (all scopes by default, acting as Ada)."""
        body: dict[str, Any] = {"user": user, **extra}
        if scopes is not None:
            body["scopes"] = scopes
        response = self.http.post(f"{self.url}/emulator/api/tokens", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()["access_token"]

    def api(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Call ``/v2/{path}`` with ``Authorization: Bearer token`` when a token is given."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 5)
        return self.http.request(
            method, f"{self.url}/v2/{path.lstrip('/')}", headers=headers, **kwargs
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the admin API at ``/emulator/api/{path}``."""
        kwargs.setdefault("timeout", 5)
        return self.http.request(method, f"{self.url}/emulator/api/{path.lstrip('/')}", **kwargs)


def assert_envelope(response: requests.Response, status: int, message: str | None = None) -> dict:
    """Assert HipChat's error envelope with ``status`` (and ``message`` when given)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    assert isinstance(error["type"], str)
    assert error["type"]
    if message is not None:
        assert error["message"] == message
    return error
