"""Typed errors: one class per HTTP status HipChat clients map, plus transport failures.

Every error carries HipChat's message and type from the envelope
``{"error": {"code", "message", "type"}}`` (HIPCHAT.md §6.13) and the ``Response`` it came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from addon.hipchat.response import Response


class HipChatError(Exception):
    """Base of every error the client raises; any unmapped non-2xx status uses it directly."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.response = response

    def __str__(self) -> str:
        if self.status is None:
            return self.message
        return f"{self.status} {self.type or ''}: {self.message}".replace(" :", ":")


class BadRequestError(HipChatError):
    """400: the request was malformed or failed validation."""


class UnauthorizedError(HipChatError):
    """401: no token, or an invalid or expired one."""


class ForbiddenError(HipChatError):
    """403: the token lacks a required scope or permission."""


class NotFoundError(HipChatError):
    """404: the room, user, webhook or other resource does not exist."""


class TooManyRequestsError(HipChatError):
    """429: rate limit or flood control exceeded (after the client's retries)."""


class InternalServerError(HipChatError):
    """500: HipChat failed."""


class ServiceUnavailableError(HipChatError):
    """503: HipChat is temporarily unavailable (after the client's retries)."""


class TransportError(HipChatError):
    """The request did not complete at the HTTP level (no status).

    ``maybe_sent`` is True when the request may have reached HipChat before the failure (a read
    timeout, a connection dropped before the answer): HipChat may have acted on it, so repeating
    a non-idempotent call (a message send) may repeat its effect. False when it never left
    (refused, DNS, connect timeout, TLS handshake)."""

    def __init__(self, message: str, *, maybe_sent: bool = True) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class ConnectionFailedError(TransportError):
    """HipChat could not be reached (refused, DNS, TLS) or dropped the connection unanswered."""


class RequestTimeoutError(TransportError):
    """HipChat did not answer within the client's timeout."""


ERRORS_BY_STATUS: dict[int, type[HipChatError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: TooManyRequestsError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


def _envelope(data: Any) -> tuple[str | None, str | None]:
    """Return (message, type) from HipChat's error envelope, or Nones when absent."""
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if isinstance(error, str):
        return error or None, None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message")
    kind = error.get("type")
    return (
        str(message) if message not in (None, "") else None,
        str(kind) if kind not in (None, "") else None,
    )


def error_for(response: Response) -> HipChatError:
    """Build the typed error for a non-2xx ``response`` (message from the envelope or reason)."""
    message, kind = _envelope(response.data)
    reason = response.reason or None
    cls = ERRORS_BY_STATUS.get(response.status_code, HipChatError)
    return cls(
        message or reason or f"HTTP {response.status_code}",
        status=response.status_code,
        type=kind or reason,
        response=response,
    )
