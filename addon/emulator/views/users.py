"""Users (HIPCHAT.md §6.4): list, create, get, update, delete, private messages, photos,
private history, auto-join rooms, invite and share link. Users in paths are an id, an email or
an ``@mention`` name."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError
from addon.emulator.state import Message
from addon.emulator.views.rooms import decode_image
from addon.emulator.web.auth import acting_user, current_auth, emulator, requires, shaper
from addon.emulator.web.history import history_collection, latest_collection, single_message
from addon.emulator.web.hooks import flood_check
from addon.emulator.web.paging import collection
from addon.emulator.web.params import expand_param, json_body, query_bool
from addon.emulator.web.responses import created, no_content

bp = Blueprint("users", __name__)


@bp.get("/v2/user")
@requires("view_group")
def list_users() -> ResponseReturnValue:
    """GET /user: user briefs (full users with expand=items)."""
    state = emulator()
    users = state.list_users(
        include_guests=query_bool("include-guests", False),
        include_deleted=query_bool("include-deleted", False),
    )
    render = shaper()
    with state.lock:
        full = "items" in expand_param()
        return jsonify(collection(users, render.user if full else render.user_brief))


@bp.post("/v2/user")
@requires("admin_group")
def create_user() -> ResponseReturnValue:
    """POST /user: 201 ``{"id", "links": {"self"}}``."""
    user = emulator().create_user(json_body(required=True))
    link = shaper().user_link(user.id)
    return created({"id": user.id, "links": {"self": link}}, link)


@bp.get("/v2/user/<ident>")
@requires("view_group")
def get_user(ident: str) -> ResponseReturnValue:
    """GET /user/{id|email|@mention}: the full user."""
    state = emulator()
    with state.lock:
        return jsonify(shaper().user(state.get_user(ident), expand_param()))


@bp.put("/v2/user/<ident>")
@requires("admin_group")
def update_user(ident: str) -> ResponseReturnValue:
    """PUT /user/{user}: full replacement, 204."""
    emulator().update_user(ident, json_body(required=True))
    return no_content()


@bp.delete("/v2/user/<ident>")
@requires("admin_group")
def delete_user(ident: str) -> ResponseReturnValue:
    """DELETE /user/{user}: 204."""
    emulator().delete_user(ident)
    return no_content()


@bp.post("/v2/user/<ident>/message")
@requires("send_message")
def private_message(ident: str) -> ResponseReturnValue:
    """POST /user/{user}/message ``{"message", "notify"?, "message_format"?}``: 204."""
    body = json_body(required=True)
    v.private_message(body)
    state = emulator()
    recipient = state.get_user(ident)
    flood_check(f"user:{recipient.id}")
    state.send_private_message(acting_user(), recipient, body)
    return no_content()


@bp.post("/v2/user/<ident>/share/link")
@requires("send_message")
def share_link(ident: str) -> ResponseReturnValue:
    """POST /user/{user}/share/link ``{"link", "message"?}``: 204 (stored as a private message)."""
    body = json_body(required=True)
    link, text = v.share_link(body, v.NOTIFICATION_MAX)
    state = emulator()
    recipient = state.get_user(ident)
    flood_check(f"user:{recipient.id}")
    message = f"{text} {link}" if text else link
    state.send_private_message(acting_user(), recipient, {"message": message})
    return no_content()


@bp.get("/v2/user/<ident>/photo/<size>")
@requires("view_group")
def get_photo(ident: str, size: str) -> ResponseReturnValue:
    """GET /user/{user}/photo/{small|big}: 302 to the image."""
    if size not in ("small", "big"):
        raise NotFoundError("Photo size must be 'small' or 'big'")
    state = emulator()
    with state.lock:
        location = shaper().photo_url(state.get_user(ident), size)
    return redirect(location, 302)


@bp.put("/v2/user/<ident>/photo")
@requires("admin_group")
def put_photo(ident: str) -> ResponseReturnValue:
    """PUT /user/{user}/photo ``{"photo": base64}``: 204."""
    photo = decode_image(json_body(required=True), "photo")
    emulator().set_photo(ident, photo)
    return no_content()


@bp.delete("/v2/user/<ident>/photo")
@requires("admin_group")
def delete_photo(ident: str) -> ResponseReturnValue:
    """DELETE /user/{user}/photo: 204."""
    emulator().set_photo(ident, None)
    return no_content()


def _private(ident: str) -> list[Message]:
    """Private messages with the user in the path, as the caller may see them."""
    state = emulator()
    auth = current_auth()
    viewer = state.find_user(auth.token.user_id) if auth.token.user_id is not None else None
    return state.private_history(ident, viewer)


@bp.get("/v2/user/<ident>/history")
@requires("view_messages")
def history(ident: str) -> ResponseReturnValue:
    """GET /user/{user}/history: private chat history, paged like room history."""
    with emulator().lock:
        return jsonify(history_collection(_private(ident)))


@bp.get("/v2/user/<ident>/history/latest")
@requires("view_messages")
def latest(ident: str) -> ResponseReturnValue:
    """GET /user/{user}/history/latest."""
    with emulator().lock:
        return jsonify(latest_collection(_private(ident)))


@bp.get("/v2/user/<ident>/history/<message_id>")
@requires("view_messages")
def one_message(ident: str, message_id: str) -> ResponseReturnValue:
    """GET /user/{user}/history/{id}: ``{"message": {...}}``."""
    with emulator().lock:
        return jsonify(single_message(_private(ident), message_id))


@bp.get("/v2/user/<ident>/preference/auto-join")
@requires("view_group")
def auto_join(ident: str) -> ResponseReturnValue:
    """GET /user/{user}/preference/auto-join: rooms the user is in or a member of."""
    state = emulator()
    with state.lock:
        user = state.get_user(ident)
        rooms = [r for r in state.list_rooms() if user.id in r.participants or user.id in r.members]
        return jsonify(collection(rooms, shaper().room_brief))


@bp.post("/v2/invite/user")
@requires("admin_group")
def invite_user() -> ResponseReturnValue:
    """POST /invite/user ``{"email", "name", "title"?}``: 200 with the new user."""
    body = json_body(required=True)
    fields = {key: body[key] for key in ("email", "name", "title") if key in body}
    user = emulator().create_user(fields)
    with emulator().lock:
        return jsonify(shaper().user(user))
