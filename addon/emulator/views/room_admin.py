"""Room webhooks (HIPCHAT.md §6.5) and room members (§6.3), all under ``admin_room``."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.views.rooms import load_room
from addon.emulator.web.auth import current_auth, emulator, requires, shaper
from addon.emulator.web.paging import collection
from addon.emulator.web.params import expand_param, json_body, resource_id
from addon.emulator.web.responses import created, no_content

bp = Blueprint("room_admin", __name__)


@bp.post("/v2/room/<ident>/webhook")
@requires("admin_room")
def create_webhook(ident: str) -> ResponseReturnValue:
    """POST /room/{room}/webhook: 201 ``{"id", "links": {"self"}}``."""
    body = json_body(required=True)
    auth = current_auth()
    hook = emulator().add_webhook(
        load_room(ident),
        body,
        creator_user_id=auth.user.id if auth.user else None,
        oauth_client_id=auth.client.oauth_id if auth.client else None,
    )
    data = shaper().webhook_brief(hook)
    return created({"id": hook.id, "links": data["links"]}, data["links"]["self"])


@bp.get("/v2/room/<ident>/webhook")
@requires("admin_room")
def list_webhooks(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/webhook: paged webhook list."""
    state = emulator()
    with state.lock:
        hooks = state.list_webhooks(load_room(ident))
        render = shaper()
        expand = expand_param()
        if "items" in expand:
            return jsonify(collection(hooks, lambda h: render.webhook(h, expand.child("items"))))
        return jsonify(collection(hooks, render.webhook_brief))


@bp.get("/v2/room/<ident>/webhook/<webhook_id>")
@requires("admin_room")
def get_webhook(ident: str, webhook_id: str) -> ResponseReturnValue:
    """GET /room/{room}/webhook/{id}; expands ``room`` and ``creator``."""
    state = emulator()
    with state.lock:
        hook = state.get_webhook(load_room(ident), resource_id(webhook_id, "Webhook"))
        return jsonify(shaper().webhook(hook, expand_param()))


@bp.delete("/v2/room/<ident>/webhook/<webhook_id>")
@requires("admin_room")
def delete_webhook(ident: str, webhook_id: str) -> ResponseReturnValue:
    """DELETE /room/{room}/webhook/{id}: 204."""
    emulator().delete_webhook(load_room(ident), resource_id(webhook_id, "Webhook"))
    return no_content()


@bp.get("/v2/room/<ident>/member")
@requires("admin_room")
def list_members(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/member: user briefs with ``room_roles``."""
    state = emulator()
    with state.lock:
        room = load_room(ident)
        users = [u for u in (state.find_user(uid) for uid in sorted(room.members)) if u]
        render = shaper()
        full = "items" in expand_param()
        return jsonify(collection(users, lambda u: render.member(room, u, full)))


@bp.put("/v2/room/<ident>/member/<user>")
@requires("admin_room")
def add_member(ident: str, user: str) -> ResponseReturnValue:
    """PUT /room/{room}/member/{user} ``{"room_roles"?}``: 204."""
    roles = v.roles(json_body().get("room_roles"), v.ROOM_ROLES, "room_roles")
    emulator().add_member(load_room(ident), user, roles)
    return no_content()


@bp.delete("/v2/room/<ident>/member/<user>")
@requires("admin_room")
def remove_member(ident: str, user: str) -> ResponseReturnValue:
    """DELETE /room/{room}/member/{user}: 204."""
    emulator().remove_member(load_room(ident), user)
    return no_content()
