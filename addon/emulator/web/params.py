"""Reading request input leniently: JSON bodies (form bodies tolerated), query flags and numbers.

Malformed input raises ``ValidationError`` so it reaches the client as a 400 envelope.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.expand import Expand

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def parse_body() -> Any:
    """The request body as JSON (or a form as a flat dict); None when empty; 400 when broken.

    A JSON body is accepted even when it is labelled as a form (some clients do that)."""
    raw = request.get_data(cache=True, parse_form_data=False)
    if request.mimetype in _FORM_TYPES and not raw.lstrip().startswith((b"{", b"[")):
        return request.form.to_dict() or None
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}") from exc


def json_body(*, required: bool = False) -> dict[str, Any]:
    """The body as a JSON object; ``{}`` when empty (400 if ``required``)."""
    body = parse_body()
    if body is None:
        if required:
            raise ValidationError("A JSON request body is required")
        return {}
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object")
    return body


def query_bool(name: str, default: bool) -> bool:
    """A boolean query flag such as ``include-private=false``."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    return v.to_bool(value, name)


def query_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer query parameter (clamped to ``maximum``); 400 when not a number."""
    value = request.args.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError as exc:
        raise ValidationError(f"Query parameter '{name}' must be an integer") from exc
    if number < minimum:
        raise ValidationError(f"Query parameter '{name}' must be at least {minimum}")
    return min(number, maximum) if maximum is not None else number


def expand_param() -> Expand:
    """The ``expand`` query parameter(s) as an ``Expand``."""
    return Expand.parse(request.args.getlist("expand"))


def resource_id(value: str, what: str) -> int:
    """A numeric path id (webhook ids and the like); 404 when not a number."""
    if not value.isdigit():
        raise NotFoundError(f"{what} not found")
    return int(value)
