"""The one error shape the add-on answers with: an HTTP status and a message for the caller."""

from __future__ import annotations

import json

from flask import Response


class RequestError(Exception):
    """A request the add-on refuses; ``status`` is the HTTP answer, ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> Response:
    """A JSON error body: ``{"error": {"code": status, "message": ...}}``."""
    body = json.dumps({"error": {"code": status, "message": message}})
    return Response(body, status=status, mimetype="application/json")
