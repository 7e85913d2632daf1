"""A HipChat REST API v2 client: immutable resource handles, typed errors, retries, paging.

Usable on its own (no Flask): ``HipChat(token, base_url).room(1).send("hi")``. It covers every
call of the PHP PageBoost/hipchat-php-v2 client; the README maps one to the other.
"""

from __future__ import annotations

from addon.hipchat.client import HipChat
from addon.hipchat.constants import DEFAULT_BASE_URL, Color, EmoticonType, MessageFormat, Privacy
from addon.hipchat.emoticons import EmoticonResource
from addon.hipchat.errors import (
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    HipChatError,
    InternalServerError,
    NotFoundError,
    RequestTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
)
from addon.hipchat.response import Response
from addon.hipchat.retry import RetryPolicy
from addon.hipchat.rooms import RoomResource
from addon.hipchat.sessions import SessionResource
from addon.hipchat.users import UserResource
from addon.hipchat.webhooks import WebhookResource

__all__ = [
    "DEFAULT_BASE_URL",
    "BadRequestError",
    "Color",
    "ConnectionFailedError",
    "EmoticonResource",
    "EmoticonType",
    "ForbiddenError",
    "HipChat",
    "HipChatError",
    "InternalServerError",
    "MessageFormat",
    "NotFoundError",
    "Privacy",
    "RequestTimeoutError",
    "Response",
    "RetryPolicy",
    "RoomResource",
    "ServiceUnavailableError",
    "SessionResource",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "UserResource",
    "WebhookResource",
]
