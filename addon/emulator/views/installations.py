"""Admin API for add-ons: install by descriptor URL, list, uninstall (server-side DELETE or the
browser redirect flow), the one-time ``installable_url``, and the webhook delivery log.

``POST /emulator/api/installations {"descriptor_url", "room"?, "installer"?}`` -> 201;
``GET /emulator/api/installations[/<oauthId>]``; ``DELETE /emulator/api/installations/<oauthId>
[?flow=redirect]``; ``POST .../<oauthId>/uninstall-redirect``; ``GET /v2/addon/installable/<t>``;
``GET|DELETE /emulator/api/deliveries[?oauthId=]``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.addons.host import AddonHost
from addon.emulator.addons.installs import Installation
from addon.emulator.exceptions import ValidationError
from addon.emulator.shapes import iso
from addon.emulator.web.auth import emulator, shaper
from addon.emulator.web.params import json_body
from addon.emulator.web.responses import created, no_content

bp = Blueprint("installations", __name__)

ADMIN = "/emulator/api"
RECENT_DELIVERIES = 5


def host() -> AddonHost:
    """The app's add-on side (attached by ``create_app``)."""
    addons = emulator().addons
    if addons is None:
        raise RuntimeError("this emulator has no add-on side attached")
    return addons


def _ref(body: dict[str, Any], key: str) -> int | str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"Field '{key}' must be an id or a name")
    return value


def installation_json(installation: Installation, *, full: bool = False) -> dict[str, Any]:
    """An installation for the admin API; ``full`` adds the descriptor."""
    addons = host()
    render = shaper()
    state = emulator()
    with state.lock:
        room = state.find_room(installation.room_id) if installation.room_id else None
        client = state.get_client(installation.oauth_id)
        hooks = [
            {**render.webhook_brief(h), "room_id": h.room_id}
            for h in addons.installations.webhooks(installation.oauth_id)
        ]
    descriptor = installation.descriptor
    data: dict[str, Any] = {
        "oauthId": installation.oauth_id,
        "key": descriptor.key,
        "name": descriptor.name,
        "from_name": descriptor.from_name,
        "status": installation.status,
        "descriptor_url": descriptor.url,
        "capabilitiesUrl": installation.capabilities_url,
        "group_id": installation.group_id,
        "room_id": installation.room_id,
        "room": {"id": room.id, "name": room.name} if room else None,
        "scopes": list(client.scopes) if client else list(descriptor.scopes),
        "created": iso(installation.created),
        "webhooks": hooks,
        "last_deliveries": addons.deliveries.items(installation.oauth_id, RECENT_DELIVERIES),
    }
    if full:
        data["descriptor"] = descriptor.raw
    return data


@bp.post(f"{ADMIN}/installations")
def install() -> ResponseReturnValue:
    """Install an add-on from its descriptor: 201 with oauthId, room_id, group_id, key, name,
    scopes and webhooks; 400 bad input or descriptor, 404 unknown room, 502 add-on failure."""
    body = json_body(required=True)
    url = v.text(body, "descriptor_url", required=True, min_len=1, max_len=2048) or ""
    installation = host().installations.install(
        url, _ref(body, "room"), request.host_url, installer=_ref(body, "installer")
    )
    data = installation_json(installation)
    keep = ("oauthId", "room_id", "group_id", "key", "name", "scopes", "capabilitiesUrl")
    answer = {name: data[name] for name in keep}
    answer["webhooks"] = data["webhooks"]
    return created(answer, f"{request.host_url}emulator/api/installations/{answer['oauthId']}")


@bp.get(f"{ADMIN}/installations")
def list_installations() -> ResponseReturnValue:
    """Every installation, oldest first, with its webhooks and latest deliveries."""
    return jsonify({"items": [installation_json(i) for i in host().installations.all()]})


@bp.get(f"{ADMIN}/installations/<oauth_id>")
def get_installation(oauth_id: str) -> ResponseReturnValue:
    """One installation, descriptor included (for UI tooling: glances, configurable...)."""
    return jsonify(installation_json(host().installations.require(oauth_id), full=True))


@bp.delete(f"{ADMIN}/installations/<oauth_id>")
def uninstall(oauth_id: str) -> ResponseReturnValue:
    """Uninstall: 200 ``{"oauthId", "addon_status", "addon_error", ...}`` after the DELETE to
    the add-on; with ``?flow=redirect`` the browser flow (see ``uninstall_redirect``)."""
    flow = request.args.get("flow", "delete")
    if flow == "redirect":
        return uninstall_redirect(oauth_id)
    if flow != "delete":
        raise ValidationError("Query parameter 'flow' must be 'delete' or 'redirect'")
    return jsonify(host().installations.uninstall(oauth_id))


@bp.post(f"{ADMIN}/installations/<oauth_id>/uninstall-redirect")
def uninstall_redirect(oauth_id: str) -> ResponseReturnValue:
    """Uninstall by browser redirect (§2.4 B): 200 with ``redirect_to`` (uninstalledUrl with
    installable_url and redirect_url), 400 when the descriptor has no uninstalledUrl."""
    return jsonify(host().installations.uninstall_by_redirect(oauth_id, request.host_url))


@bp.get("/v2/addon/installable/<token>")
def installable(token: str) -> ResponseReturnValue:
    """The one-time installable data: the install JSON once, then 404."""
    return jsonify(host().installations.take_installable(token))


@bp.get("/emulator/uninstalled")
def uninstalled_page() -> ResponseReturnValue:
    """Where the browser lands after the add-on's uninstalledUrl redirect."""
    oauth_id = escape(request.args.get("oauthId", ""))
    page = (
        "<!doctype html><title>Add-on uninstalled</title>"
        f"<p>The add-on installation <code>{oauth_id}</code> was uninstalled.</p>"
    )
    return Response(page, mimetype="text/html")


@bp.get(f"{ADMIN}/deliveries")
def deliveries() -> ResponseReturnValue:
    """The webhook delivery log, newest last; ``?oauthId=`` filters by installation."""
    oauth_id = request.args.get("oauthId") or request.args.get("oauth_id") or None
    return jsonify({"items": host().deliveries.items(oauth_id)})


@bp.delete(f"{ADMIN}/deliveries")
def clear_deliveries() -> ResponseReturnValue:
    """Empty the delivery log."""
    host().deliveries.clear()
    return no_content()
