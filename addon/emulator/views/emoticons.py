"""Emoticons (HIPCHAT.md §6.8) and the group (§6.9): read-only except the group avatar."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError
from addon.emulator.views.rooms import decode_image
from addon.emulator.web.auth import emulator, requires, shaper
from addon.emulator.web.paging import collection
from addon.emulator.web.params import expand_param, json_body
from addon.emulator.web.responses import no_content

bp = Blueprint("emoticons", __name__)


@bp.get("/v2/emoticon")
@requires("view_group")
def list_emoticons() -> ResponseReturnValue:
    """GET /emoticon?type=global|group|all."""
    kind = v.choice(dict(request.args), "type", ("global", "group", "all"), "all")
    state = emulator()
    with state.lock:
        render = shaper()
        expand = expand_param()
        emoticons = state.list_emoticons(kind)
        if "items" in expand:
            return jsonify(
                collection(emoticons, lambda e: render.emoticon(e, expand.child("items")))
            )
        return jsonify(collection(emoticons, render.emoticon_brief))


@bp.get("/v2/emoticon/<ident>")
@requires("view_group")
def get_emoticon(ident: str) -> ResponseReturnValue:
    """GET /emoticon/{id_or_shortcut}."""
    state = emulator()
    with state.lock:
        return jsonify(shaper().emoticon(state.get_emoticon(ident), expand_param()))


def _check_group(group_id: str) -> None:
    if not group_id.isdigit() or int(group_id) != emulator().group.id:
        raise NotFoundError("Group not found")


@bp.get("/v2/group/<group_id>")
@requires("view_group")
def get_group(group_id: str) -> ResponseReturnValue:
    """GET /group/{id}."""
    _check_group(group_id)
    with emulator().lock:
        return jsonify(shaper().group(expand_param()))


@bp.get("/v2/group/<group_id>/statistics")
@requires("view_group")
def group_statistics(group_id: str) -> ResponseReturnValue:
    """GET /group/{id}/statistics: the number of active users."""
    _check_group(group_id)
    state = emulator()
    render = shaper()
    return jsonify(
        {
            "users": len(state.list_users()),
            "links": {"self": f"{render.api}group/{state.group.id}/statistics"},
        }
    )


@bp.get("/v2/group/<group_id>/avatar")
@requires("view_group")
def get_group_avatar(group_id: str) -> ResponseReturnValue:
    """GET /group/{id}/avatar: 302 to the image."""
    _check_group(group_id)
    return redirect(f"{request.host_url}emulator/avatars/group/{emulator().group.id}", 302)


@bp.put("/v2/group/<group_id>/avatar")
@requires("admin_group")
def put_group_avatar(group_id: str) -> ResponseReturnValue:
    """PUT /group/{id}/avatar ``{"avatar": base64}``: 204."""
    _check_group(group_id)
    emulator().set_group_avatar(decode_image(json_body(required=True), "avatar"))
    return no_content()


@bp.delete("/v2/group/<group_id>/avatar")
@requires("admin_group")
def delete_group_avatar(group_id: str) -> ResponseReturnValue:
    """DELETE /group/{id}/avatar: 204."""
    _check_group(group_id)
    emulator().set_group_avatar(None)
    return no_content()
