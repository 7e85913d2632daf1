"""Add-on views as HipChat showed them (HIPCHAT.md §1.6, §1.7, §4.3): the configure page, web
panels and other targets opened in an iframe with a fresh ``signed_request``, and glances.

Glances are fetched **server-side** by the emulator (``queryUrl?signed_request=<jwt>``) with an
``Origin`` header of the chat page, and CORS is still enforced: an answer whose
``Access-Control-Allow-Origin`` is neither ``*`` nor that origin is reported as an error, as
HipChat's browser client could not have read it. Fetching server-side keeps the page working
when the add-on is down or slow (one timeout, one message in words) and needs no CORS
preflight from the test browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from markupsafe import Markup

from addon.emulator.addons.installs import Installation
from addon.emulator.addons.outbound import call, describe_exception, describe_response
from addon.emulator.addons.signing import sign, webhook_claims
from addon.emulator.exceptions import NotFoundError
from addon.emulator.state.emulator import Emulator
from addon.emulator.ui.sanitize import IMAGE_SCHEMES, safe_url, sanitize_card_html

PAGE_JWT_TTL = 3600
GLANCE_TIMEOUT = 5.0
TARGET_KINDS = ("webPanel", "dialog", "externalPage")
LOZENGE_TYPES = ("default", "success", "error", "current", "new", "complete", "moved")


def signed_request(
    state: Emulator, installation: Installation, user_id: int | None, room_id: int | None
) -> str:
    """A fresh JWT for a page or glance request: iss, sub/prn, iat, exp, jti and
    ``context {room_id, user_tz}``, signed with the installation's OAuth secret."""
    with state.lock:
        client = state.get_client(installation.oauth_id)
        if client is None:
            raise NotFoundError("Installation not found")
        user = state.find_user(user_id) if user_id is not None else None
        secret, tz = client.secret, (user.timezone if user else "UTC")
    claims = webhook_claims(
        installation.oauth_id, user_id=user_id, room_id=room_id, user_tz=tz, ttl=PAGE_JWT_TTL
    )
    return sign(claims, secret)


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` appended to its query string."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _name(entry: dict[str, Any], fallback: str) -> str:
    name = entry.get("name") or entry.get("title")
    if isinstance(name, dict) and isinstance(name.get("value"), str):
        return name["value"]
    return name if isinstance(name, str) else fallback


def _list(capabilities: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    value = capabilities.get(kind)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def configure_url(installation: Installation) -> str | None:
    """The descriptor's ``configurable.url``, when it has a safe one."""
    caps = installation.descriptor.raw.get("capabilities") or {}
    configurable = caps.get("configurable") if isinstance(caps, dict) else None
    if isinstance(configurable, dict) and isinstance(configurable.get("url"), str):
        return safe_url(configurable["url"], IMAGE_SCHEMES)
    return None


def target_url(installation: Installation, key: str) -> str | None:
    """The URL of the webPanel, dialog or externalPage with ``key`` (``configure`` is the
    configure page)."""
    if key == "configure":
        return configure_url(installation)
    caps = installation.descriptor.raw.get("capabilities") or {}
    for kind in TARGET_KINDS:
        for entry in _list(caps, kind):
            if entry.get("key") == key and isinstance(entry.get("url"), str):
                return safe_url(entry["url"], IMAGE_SCHEMES)
    return None


@dataclass
class Glance:
    """One sidebar glance: its descriptor entry and, once fetched, its content or error."""

    oauth_id: str
    key: str
    name: str
    target: str | None
    query_url: str | None
    weight: int
    label: Markup | None = None
    lozenge: dict[str, str] | None = None
    icon: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The glance for the page's script (label already sanitised)."""
        return {
            "oauth_id": self.oauth_id,
            "key": self.key,
            "name": self.name,
            "target": self.target,
            "label": str(self.label) if self.label is not None else None,
            "lozenge": self.lozenge,
            "icon": self.icon,
            "error": self.error,
        }


def glances(installation: Installation) -> list[Glance]:
    """The installation's glances from its descriptor, lightest ``weight`` first."""
    caps = installation.descriptor.raw.get("capabilities") or {}
    found = []
    for entry in _list(caps, "glance"):
        key = entry.get("key")
        if not isinstance(key, str):
            continue
        target = entry.get("target")
        if isinstance(target, dict):  # hipchat-hs serialised {"key": ...} (§1.7)
            target = target.get("key")
        weight = entry.get("weight")
        found.append(
            Glance(
                oauth_id=installation.oauth_id,
                key=key,
                name=_name(entry, key),
                target=target if isinstance(target, str) else None,
                query_url=entry.get("queryUrl") if isinstance(entry.get("queryUrl"), str) else None,
                weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else 100,
                icon=_icon(entry.get("icon")),
            )
        )
    return sorted(found, key=lambda g: g.weight)


def _icon(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("url"), str):
        return safe_url(value["url"], IMAGE_SCHEMES)
    return None


def fetch_glance(glance: Glance, token: str, origin: str) -> Glance:
    """GET ``queryUrl?signed_request=`` and fill in label/status, or ``error`` in words."""
    url = safe_url(glance.query_url, IMAGE_SCHEMES) if glance.query_url else None
    if url is None:
        glance.error = "no usable queryUrl" if glance.query_url else None
        return glance
    try:
        response = call(
            "GET",
            with_query(url, signed_request=token),
            timeout=GLANCE_TIMEOUT,
            headers={"Origin": origin, "Accept": "application/json"},
        )
    except requests.RequestException as exc:
        glance.error = f"queryUrl failed: {describe_exception(exc, GLANCE_TIMEOUT)}"
        return glance
    if response.status_code != 200:
        glance.error = f"queryUrl answered {describe_response(response)}"
        return glance
    allowed = response.headers.get("Access-Control-Allow-Origin")
    if allowed not in ("*", origin):
        glance.error = (
            f"queryUrl sent no CORS header allowing {origin} "
            f"(Access-Control-Allow-Origin: {allowed or 'missing'}); a browser could not read it"
        )
        return glance
    try:
        data = json.loads(response.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        glance.error = "queryUrl did not answer JSON"
        return glance
    if not isinstance(data, dict):
        glance.error = "queryUrl did not answer a JSON object"
        return glance
    _fill(glance, data)
    return glance


def _fill(glance: Glance, data: dict[str, Any]) -> None:
    label = data.get("label")
    if isinstance(label, dict) and isinstance(label.get("value"), str):
        if label.get("type") == "html":
            glance.label = Markup(sanitize_card_html(label["value"]))
        else:
            glance.label = Markup.escape(label["value"])
    status = data.get("status")
    if isinstance(status, dict) and isinstance(status.get("value"), dict):
        value = status["value"]
        if status.get("type") == "lozenge" and isinstance(value.get("label"), str):
            kind = value.get("type") if value.get("type") in LOZENGE_TYPES else "default"
            glance.lozenge = {"label": value["label"], "type": str(kind)}
        elif status.get("type") == "icon":
            glance.icon = _icon(value) or glance.icon
