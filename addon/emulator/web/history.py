"""History queries (HIPCHAT.md §6.3 view history / recent history, §6.4 private history).

``date`` is an ISO-8601 upper bound or ``recent`` (the latest 75, unpaged); ``end-date`` a lower
bound; ``reverse`` (default true) gives oldest first. Dates whose ``+`` arrived unencoded (as a
space) are accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.state.models import Message
from addon.emulator.web.auth import shaper
from addon.emulator.web.paging import collection, page_url
from addon.emulator.web.params import expand_param, query_bool, query_int

RECENT = 75


def parse_date(value: str, name: str) -> datetime:
    """An ISO-8601 date/time (naive = UTC, ``Z`` and unencoded ``+`` tolerated) or epoch secs."""
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), UTC)
    text = text.replace(" ", "+").replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"Query parameter '{name}' must be an ISO-8601 date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def history_collection(messages: list[Message]) -> dict[str, Any]:
    """GET .../history: filter by date/end-date, order by ``reverse``, page."""
    render_expand = expand_param().child("items")
    render = shaper()

    def draw(message: Message) -> dict[str, Any]:
        return render.message(message, render_expand)

    date = request.args.get("date", "").strip()
    if date.lower() == "recent":
        recent = messages[-RECENT:]
        return {
            "items": [draw(m) for m in recent],
            "startIndex": 0,
            "maxResults": RECENT,
            "links": {"self": page_url(0, RECENT)},
        }
    upper = parse_date(date, "date") if date else None
    end = request.args.get("end-date", "").strip()
    lower = parse_date(end, "end-date") if end else None
    selected = [
        m
        for m in messages
        if (upper is None or m.date <= upper) and (lower is None or m.date >= lower)
    ]
    if not query_bool("reverse", True):
        selected.reverse()
    return collection(selected, draw)


def latest_collection(messages: list[Message]) -> dict[str, Any]:
    """GET .../history/latest: the newest ``max-results`` (default 75), after ``not-before``."""
    size = query_int("max-results", RECENT, maximum=1000)
    not_before = request.args.get("not-before", "").strip()
    selected = messages
    if not_before:
        index = next((i for i, m in enumerate(messages) if m.id == not_before), None)
        if index is None:
            raise ValidationError("Query parameter 'not-before' names no message in this history")
        selected = messages[index:]
    window = selected[-size:] if size else []
    render_expand = expand_param().child("items")
    render = shaper()
    return {
        "items": [render.message(m, render_expand) for m in window],
        "startIndex": 0,
        "maxResults": size,
        "links": {"self": page_url(0, size)},
    }


def single_message(messages: list[Message], message_id: str) -> dict[str, Any]:
    """GET .../history/{id}: ``{"message": {...}}``; 404 when unknown."""
    found = next((m for m in messages if m.id == message_id), None)
    if found is None:
        raise NotFoundError("Message not found")
    return {"message": shaper().message(found, expand_param().child("message"))}
