"""Once-only rules for webhooks: a JWT is good for one request, a delivery runs one handler.

* Replay: a verified webhook JWT's ``jti`` (or, lacking one, the token's hash) is remembered
  per installation until the token's ``exp`` plus the leeway; a second request with it is
  refused (401). HipChat signs every delivery afresh, so only a captured token comes back.
  A webhook JWT valid for more than a day is refused outright (its memory would be unbounded).
* Duplicates: a delivery is keyed by installation + ``webhook_id`` + message id for message
  events, and by a hash of the whole body for other events (they carry no id); a key seen
  within its time to live (``ADDON_DEDUPE_TTL`` / ``ADDON_DEDUPE_BODY_TTL``) runs no handler.
"""

from __future__ import annotations

import hashlib
import json
import time

from addon.auth import Claims, JWTError
from addon.config import Settings
from addon.events import Event
from addon.once import OnceStore

#: Webhook JWTs living longer than this (seconds) are refused; HipChat's live minutes.
MAX_JWT_LIFETIME = 24 * 3600


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def jwt_key(claims: Claims, token: str) -> str:
    """What identifies one JWT: its ``jti``, else the SHA-256 of the token itself."""
    jti = claims.raw.get("jti")
    if isinstance(jti, str | int) and not isinstance(jti, bool) and str(jti):
        return "jti:" + str(jti)
    return "sha256:" + _digest(token)


def refuse_replay(
    once: OnceStore, installation_id: str, claims: Claims, token: str, settings: Settings
) -> None:
    """Record the JWT as used; JWTError(401) if it was already used within its lifetime."""
    exp = claims.raw.get("exp")
    now = time.time()
    expires_at = float(exp) if isinstance(exp, int | float) else now + 3600
    if expires_at - now > MAX_JWT_LIFETIME:
        # Remembering it for its whole life would be unbounded: such a token is not HipChat's.
        raise JWTError("JWT expires too far in the future", status=401)
    expires_at += settings.jwt_leeway
    if not once.claim("jti", installation_id, jwt_key(claims, token), expires_at):
        raise JWTError("JWT has already been used (replay refused)", status=401)


def delivery_key(event: Event) -> tuple[str, bool]:
    """The delivery's dedupe key and whether it is id-based (True) or a body hash (False)."""
    message_id = event.message.id if event.message is not None else None
    if isinstance(message_id, str) and message_id:
        return f"{event.type}:{event.webhook_id}:{message_id}", True
    body = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), default=str)
    return "body:" + _digest(body), False


def first_delivery(once: OnceStore, installation_id: str, event: Event, settings: Settings) -> bool:
    """Record this delivery; False when the same delivery was already seen (run nothing)."""
    key, by_id = delivery_key(event)
    ttl = settings.dedupe_ttl if by_id else settings.dedupe_body_ttl
    if ttl <= 0:
        return True
    return once.claim("delivery", installation_id, key, time.time() + ttl)
