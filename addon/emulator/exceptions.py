"""Typed errors raised by the emulator's state and views; each one becomes a HipChat error envelope.

They carry the HTTP status, HipChat's message and optional extra response headers, and do not
depend on Flask, so the state layer (and the add-on side reusing it) can raise them too.
"""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """An error with an HTTP status and a HipChat-style message."""

    status: int = 400

    def __init__(
        self, message: str, status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})


class ValidationError(ApiError, ValueError):
    """Bad input: a missing, mistyped or out-of-range field (400)."""

    status = 400


class UnauthorizedError(ApiError):
    """No token, or a token that is unknown, revoked or expired (401)."""

    status = 401


class ForbiddenError(ApiError):
    """A valid token without the scope or room access the action needs (403)."""

    status = 403


class NotFoundError(ApiError):
    """The room, user, message, webhook or emoticon does not exist (404)."""

    status = 404


class RateLimitedError(ApiError):
    """Rate limit or flood control exceeded (429)."""

    status = 429
