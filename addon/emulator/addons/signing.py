"""The JWT HipChat put on webhook POSTs (HIPCHAT.md §4.2): HS256 with the client's secret.

Claims: ``iss`` = oauthId, ``sub`` and ``prn`` = the acting user's id as a string (omitted when
no user acted, e.g. a notification), ``iat`` and ``exp`` in seconds, a random ``jti`` and
``context`` = ``{"room_id": int, "user_tz": ...}``.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt

from addon.emulator.state.models import new_secret

ALGORITHM = "HS256"


def webhook_claims(
    oauth_id: str,
    *,
    user_id: int | None,
    room_id: int | None,
    user_tz: str = "UTC",
    ttl: int = 900,
    now: int | None = None,
) -> dict[str, Any]:
    """The claim set for one webhook delivery."""
    issued = int(time.time()) if now is None else int(now)
    context: dict[str, Any] = {"user_tz": user_tz or "UTC"}
    if room_id is not None:
        context = {"room_id": int(room_id), **context}
    claims: dict[str, Any] = {
        "iss": oauth_id,
        "iat": issued,
        "exp": issued + int(ttl),
        "jti": new_secret(20),
        "context": context,
    }
    if user_id is not None:
        claims["sub"] = claims["prn"] = str(user_id)
    return claims


def sign(claims: dict[str, Any], secret: str) -> str:
    """Encode ``claims`` as an HS256 JWT keyed by ``secret`` (UTF-8)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # HipChat's secrets are what they are: no key-length nag
        return jwt.encode(claims, secret, algorithm=ALGORITHM)
