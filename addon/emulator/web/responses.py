"""Small response builders shared by the views: 204 without a body, 201 with JSON."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def no_content() -> Response:
    """An empty 204 response (no body, no content type)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def created(body: dict[str, Any], location: str | None = None) -> Response:
    """A 201 JSON response, with a Location header when given."""
    response = jsonify(body)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response
