"""Add-on pages: ``/addons`` (install by descriptor URL, installations with their scopes,
webhooks and last deliveries, uninstall) and the add-on views opened from a room: the configure
page and web panels in an iframe (``/addons/<oauthId>/open/<key>`` redirects there with a fresh
``signed_request``) and the room's glances (``/rooms/<id>/glances``, fetched server-side).
"""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from addon.emulator.exceptions import ApiError, NotFoundError
from addon.emulator.ui.blueprint import bp, host, installations_for, picked_user, state, users
from addon.emulator.ui.frames import (
    configure_url,
    fetch_glance,
    glances,
    signed_request,
    target_url,
    with_query,
)
from addon.emulator.views.installations import installation_json


def _page(error: str | None = None, status: int = 200, **form: str) -> ResponseReturnValue:
    items = [
        {**installation_json(i), "configurable": configure_url(i) is not None}
        for i in host().installations.all()
    ]
    return render_template(
        "ui/addons.html",
        installations=items,
        rooms=state().list_rooms(include_archived=True),
        error=error,
        notice=request.args.get("notice"),
        warning=request.args.get("warning"),
        form=form,
    ), status


@bp.get("/addons")
def addons() -> ResponseReturnValue:
    """Installations and the install form."""
    return _page()


@bp.post("/addons/install")
def install() -> ResponseReturnValue:
    """Install from the form; a refused install is shown in the add-on's words."""
    url = request.form.get("descriptor_url", "").strip()
    room = request.form.get("room", "").strip() or None
    if not url:
        return _page("Enter the add-on's descriptor URL.", 400, descriptor_url=url)
    try:
        installation = host().installations.install(
            url, room, request.host_url, installer=request.form.get("installer") or None
        )
    except ApiError as exc:
        return _page(exc.message, exc.status, descriptor_url=url, room=room or "")
    where = f"room {installation.room_id}" if installation.room_id else "the whole group"
    notice = f"Installed {installation.descriptor.name} ({installation.oauth_id}) in {where}."
    return redirect(url_for("ui.addons", notice=notice), 303)


@bp.post("/addons/<oauth_id>/uninstall")
def uninstall(oauth_id: str) -> ResponseReturnValue:
    """Uninstall; what the add-on answered to the DELETE is shown."""
    result = host().installations.uninstall(oauth_id)
    notice = f"Uninstalled {result['key']} ({oauth_id})."
    if result.get("addon_error"):
        return redirect(url_for("ui.addons", notice=notice, warning=result["addon_error"]), 303)
    return redirect(url_for("ui.addons", notice=notice), 303)


@bp.get("/addons/<oauth_id>/open/<key>")
def open_view(oauth_id: str, key: str) -> ResponseReturnValue:
    """Redirect an iframe to the add-on's configure page (``key`` = configure), web panel,
    dialog or external page, with a fresh ``signed_request`` for the picked user and room."""
    installation = host().installations.require(oauth_id)
    url = target_url(installation, key)
    if url is None:
        raise NotFoundError(f"{installation.descriptor.name} has no page '{key}'")
    room = request.args.get("room", "")
    room_id = int(room) if room.isdigit() else installation.room_id
    user = picked_user(request.args.get("user"))
    token = signed_request(state(), installation, user.id, room_id)
    return redirect(with_query(url, signed_request=token), 302)


@bp.get("/addons/<oauth_id>/configure")
def configure(oauth_id: str) -> ResponseReturnValue:
    """The configure page, framed as HipChat's admin UI framed it."""
    installation = host().installations.require(oauth_id)
    if configure_url(installation) is None:
        raise NotFoundError(f"{installation.descriptor.name} has no configure page")
    return render_template(
        "ui/configure.html",
        installation=installation,
        room=request.args.get("room", ""),
        user=picked_user(request.args.get("user")),
        users=users(),
    )


@bp.get("/rooms/<int:room_id>/glances")
def room_glances(room_id: int) -> ResponseReturnValue:
    """The room's glances with their current content (or the reason it is missing)."""
    st = state()
    st.get_room(room_id)
    user = picked_user(request.args.get("user"))
    origin = request.host_url.rstrip("/")
    found = []
    for installation in installations_for(room_id):
        entries = glances(installation)
        if not entries:
            continue
        token = signed_request(st, installation, user.id, room_id)
        found.extend(fetch_glance(g, token, origin).to_json() for g in entries)
    return jsonify({"items": found})
