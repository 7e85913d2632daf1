"""Chat pages: the room list (``/``) and a room (``/rooms/<id>``) with its history, a box to
post as a user, enter/leave and the topic; ``/rooms/<id>/updates`` feeds the page's polling.

Every action goes through the emulator's state methods, so webhooks fire exactly as they do for
the REST and admin APIs (room_message, room_enter, room_exit, room_topic_change, room_created).
"""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from addon.emulator.exceptions import ApiError
from addon.emulator.ui.blueprint import (
    bp,
    installations_for,
    picked_user,
    state,
    users,
    wants_json,
)
from addon.emulator.ui.frames import configure_url, glances
from addon.emulator.ui.render import message_view

POLL_MS = 500


@bp.get("/")
def index() -> ResponseReturnValue:
    """Every room with its topic and installed add-ons; a form to create one."""
    return _index()


def _index(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    st = state()
    rooms = st.list_rooms(include_archived=True)
    listing = [
        {"room": room, "addons": installations_for(room.id), "people": len(room.participants)}
        for room in rooms
    ]
    return render_template("ui/index.html", rooms=listing, users=users(), error=error), status


@bp.post("/rooms")
def create_room() -> ResponseReturnValue:
    """Create a room from the form (name, topic, privacy) as the chosen user."""
    st = state()
    body = {
        "name": request.form.get("name", "").strip(),
        "topic": request.form.get("topic", "").strip(),
        "privacy": request.form.get("privacy") or "public",
    }
    try:
        room = st.create_room(body, picked_user(request.form.get("user")))
    except ApiError as exc:
        return _index(exc.message, exc.status)
    return redirect(url_for("ui.room", room_id=room.id), 303)


@bp.get("/rooms/<int:room_id>")
def room(room_id: int) -> ResponseReturnValue:
    """The chat window of one room."""
    st = state()
    target = st.get_room(room_id)
    history = [message_view(st, m) for m in st.room_history(target)]
    with st.lock:
        present = [u for u in (st.find_user(uid) for uid in target.participants) if u]
    addons = [
        {
            "installation": i,
            "configurable": configure_url(i) is not None,
            "glances": glances(i),
        }
        for i in installations_for(room_id)
    ]
    return render_template(
        "ui/room.html",
        room=target,
        history=history,
        present=present,
        users=users(),
        addons=addons,
        poll_ms=POLL_MS,
    )


@bp.get("/rooms/<int:room_id>/updates")
def updates(room_id: int) -> ResponseReturnValue:
    """Messages after the first ``since`` ones, rendered, plus topic and who is here."""
    st = state()
    target = st.get_room(room_id)
    since = request.args.get("since", "0")
    start = int(since) if since.isdigit() else 0
    messages = st.room_history(target)
    with st.lock:
        present = [
            {"id": u.id, "name": u.name}
            for u in (st.find_user(uid) for uid in target.participants)
            if u
        ]
        topic = target.topic
    fresh = messages[start:] if start <= len(messages) else messages
    return jsonify(
        {
            "count": len(messages),
            "reset": start > len(messages),
            "topic": topic,
            "present": present,
            "messages": [
                {"id": m.id, "html": render_template("ui/_message.html", m=message_view(st, m))}
                for m in fresh
            ],
        }
    )


def _done(room_id: int, created: int = 200) -> ResponseReturnValue:
    if wants_json():
        return jsonify({"ok": True}), created
    return redirect(url_for("ui.room", room_id=room_id), 303)


@bp.post("/rooms/<int:room_id>/say")
def say(room_id: int) -> ResponseReturnValue:
    """Post the message box's text as the picked user (publishes room_message)."""
    text = request.form.get("message", "")
    if not text.strip():
        raise ApiError("Type a message first", 400)
    state().post_user_message(room_id, picked_user(request.form.get("user")), text)
    return _done(room_id, 201)


@bp.post("/rooms/<int:room_id>/enter")
def enter(room_id: int) -> ResponseReturnValue:
    """The picked user enters the room (room_enter)."""
    state().enter_room(room_id, picked_user(request.form.get("user")))
    return _done(room_id)


@bp.post("/rooms/<int:room_id>/exit")
def leave(room_id: int) -> ResponseReturnValue:
    """The picked user leaves the room (room_exit)."""
    state().exit_room(room_id, picked_user(request.form.get("user")))
    return _done(room_id)


@bp.post("/rooms/<int:room_id>/topic")
def topic(room_id: int) -> ResponseReturnValue:
    """Set the topic as the picked user (room_topic_change)."""
    state().set_topic(room_id, request.form.get("topic", ""), picked_user(request.form.get("user")))
    return _done(room_id)
