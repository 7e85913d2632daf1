"""HipChat's error envelope for every error the app produces (HIPCHAT.md §6.13).

``{"error": {"code": 404, "message": "Room not found", "type": "Not Found"}}`` — for our own
``ApiError``s, for Flask/Werkzeug errors (unknown routes, wrong methods, bad requests) and for
unexpected exceptions (500).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from addon.emulator.exceptions import ApiError

log = logging.getLogger(__name__)

_DEFAULT_MESSAGES = {
    400: "Bad request",
    404: "Resource not found",
    405: "Method not allowed",
    413: "Request entity too large",
    500: "Internal server error",
}


def reason(status: int) -> str:
    """The HTTP reason phrase HipChat puts in ``error.type``."""
    return HTTP_STATUS_CODES.get(status, "Error")


def envelope(status: int, message: str) -> dict[str, dict[str, object]]:
    """The error body for ``status``."""
    return {"error": {"code": status, "message": message, "type": reason(status)}}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON error response in HipChat's envelope."""
    response = jsonify(envelope(status, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Route every error through the envelope."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or _DEFAULT_MESSAGES.get(status, reason(status))
        headers = {
            name: value
            for name, value in error.get_headers()
            if name.lower() not in ("content-type", "content-length")
        }
        return error_response(status, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("emulator request failed")
        return error_response(500, f"Internal server error: {type(error).__name__}")
