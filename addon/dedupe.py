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
from collections.abc import Callable

from addon.auth import Claims, JWTError
from addon.config import Settings
from addon.events import Event
from addon.once import OnceKey, OnceStore

#: Webhook JWTs living longer than this (seconds) are refused; HipChat's live minutes.
MAX_JWT_LIFETIME = 24 * 3600


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def jwt_key(claims: Claims, token: str) -> str:
    """What identifies one JWT: its ``jti``, else the SHA-256 of the token itself."""
    jti = _jti(claims)
    return "jti:" + jti if jti else "sha256:" + _digest(token)


def _jti(claims: Claims) -> str:
    """The JWT's ``jti`` as text, or "" when it has none usable."""
    jti = claims.raw.get("jti")
    if isinstance(jti, str | int) and not isinstance(jti, bool):
        return str(jti)
    return ""


def replay_key(
    installation_id: str, claims: Claims, token: str | Callable[[], str], settings: Settings
) -> OnceKey:
    """The JWT's once-only key, kept until ``exp`` plus the leeway (``token`` may be a callable:
    it is read only when the JWT has no ``jti``); JWTError(401) for a token living too long."""
    exp = claims.raw.get("exp")
    now = time.time()
    expires_at = float(exp) if isinstance(exp, int | float) else now + 3600
    if expires_at - now > MAX_JWT_LIFETIME:
        # Remembering it for its whole life would be unbounded: such a token is not HipChat's.
        raise JWTError("JWT expires too far in the future", status=401)
    if callable(token):
        token = "" if _jti(claims) else token()
    return OnceKey("jti", installation_id, jwt_key(claims, token), expires_at + settings.jwt_leeway)


def refuse_replay(
    once: OnceStore,
    installation_id: str,
    claims: Claims,
    token: str | Callable[[], str],
    settings: Settings,
) -> None:
    """Record the JWT as used; JWTError(401) if it was already used within its lifetime."""
    if not once.claim_chain([replay_key(installation_id, claims, token, settings)]):
        raise JWTError("JWT has already been used (replay refused)", status=401)


def delivery_key(event: Event) -> tuple[str, bool]:
    """The delivery's dedupe key and whether it is id-based (True) or a body hash (False)."""
    message_id = event.message.id if event.message is not None else None
    if isinstance(message_id, str) and message_id:
        return f"{event.type}:{event.webhook_id}:{message_id}", True
    body = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), default=str)
    return "body:" + _digest(body), False


def delivery_once_key(installation_id: str, event: Event, settings: Settings) -> OnceKey | None:
    """The delivery's once-only key, or None when deduplication is off for its kind."""
    key, by_id = delivery_key(event)
    ttl = settings.dedupe_ttl if by_id else settings.dedupe_body_ttl
    if ttl <= 0:
        return None
    return OnceKey("delivery", installation_id, key, time.time() + ttl)


def first_delivery(once: OnceStore, installation_id: str, event: Event, settings: Settings) -> bool:
    """Record this delivery; False when the same delivery was already seen (run nothing)."""
    key = delivery_once_key(installation_id, event, settings)
    return key is None or once.claim_chain([key]) == 1


def claim_webhook(
    once: OnceStore,
    installation_id: str,
    claims: Claims | None,
    token: str | Callable[[], str],
    event: Event,
    settings: Settings,
) -> bool:
    """``refuse_replay`` then ``first_delivery`` in one round trip (one transaction).

    JWTError(401) for a replayed JWT (its delivery is then not recorded); False for a duplicate
    delivery (the JWT is recorded as used all the same); True when the handler should run.
    """
    keys: list[OnceKey] = []
    if claims is not None:
        keys.append(replay_key(installation_id, claims, token, settings))
    delivery = delivery_once_key(installation_id, event, settings)
    if delivery is not None:
        keys.append(delivery)
    if not keys:
        return True
    claimed = once.claim_chain(keys)
    if claims is not None and claimed == 0:
        raise JWTError("JWT has already been used (replay refused)", status=401)
    return claimed == len(keys)
