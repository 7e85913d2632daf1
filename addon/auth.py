"""JWT for requests from HipChat (and from the add-on's own pages): find, verify, sign.

HipChat signs with HS256 using the installation's ``oauthSecret``, with ``iss`` = ``oauthId``.
Verification is pinned to HS256 whatever the token's header says, and requires ``iss``, ``iat``
and ``exp``. Refusals raise :class:`JWTError` with the HTTP status to answer: 400 for a token
that is not a usable JWT, 401 for one that is not trustworthy (signature, algorithm, time).
``verify_for_installation`` and ``authenticate_webhook`` tie a token to a stored installation.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets as _secrets
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning
from werkzeug.wrappers import Request

if TYPE_CHECKING:  # pragma: no cover
    from addon.config import Settings
    from addon.store import Installation

Lookup = Callable[[str], "Installation | None"]
Decrypt = Callable[[str], str]

ALGORITHM = "HS256"
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
REQUIRED_CLAIMS = ("iss", "iat", "exp")
DEFAULT_LEEWAY = 10

# What PyJWT checks for us; sub/jti types are not ours to police (HipChat's are loosely typed).
_DECODE_OPTIONS: dict[str, Any] = {
    "require": list(REQUIRED_CLAIMS),
    "verify_aud": False,
    "verify_sub": False,
    "verify_jti": False,
}


class JWTError(Exception):
    """A refused JWT; ``status`` is 400 (malformed) or 401 (untrusted), ``message`` says why."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"JWTError({self.message!r}, status={self.status})"


@dataclass(frozen=True)
class Claims:
    """The verified claims of a JWT, with the parts handlers need pulled out."""

    issuer: str
    user_id: str | None
    context: dict[str, Any] = field(default_factory=dict)
    room_id: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def find_jwt(request: Request) -> str | None:
    """The request's JWT: form, then query ``signed_request``, then ``Authorization: JWT <t>``."""
    # Only a form body has form fields; skipping the lookup spares every JSON webhook the parse.
    sources = (request.form, request.args) if request.mimetype in _FORM_TYPES else (request.args,)
    for source in sources:
        value = source.get("signed_request", "").strip()
        if value:
            return value
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() == "jwt" and token.strip():
        return token.strip()
    return None


def _unverified(token: str) -> dict[str, Any]:
    """Header and claims, parsed once without the signature (``header``, ``payload`` keys)."""
    if not isinstance(token, str) or not token:
        raise JWTError("no JWT given", status=400)
    # Read by hand (PyJWT's unverified decode costs several times more): only to find the
    # issuer and algorithm; the signature and claims are checked by PyJWT in _verify_parsed.
    try:
        header_part, payload_part, _signature = token.split(".")
        header = json.loads(_b64url(header_part))
        payload = json.loads(_b64url(payload_part))
    except (ValueError, binascii.Error) as exc:
        raise JWTError(f"malformed JWT: {exc}", status=400) from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JWTError("malformed JWT: header and claims must be JSON objects", status=400)
    return {"header": header, "payload": payload}


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part.encode("ascii") + b"=" * (-len(part) % 4))


def _unverified_claims(token: str) -> dict[str, Any]:
    return _unverified(token)["payload"]


def _issuer(claims: Mapping[str, Any]) -> str:
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise JWTError("JWT has no issuer (iss)", status=400)
    return issuer


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim read without checking the signature (to look up the installation)."""
    return _issuer(_unverified_claims(token))


def _room_id(context: Mapping[str, Any]) -> int | None:
    value = context.get("room_id")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise JWTError("JWT context.room_id is not an integer", status=400)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise JWTError("JWT context.room_id is not an integer", status=400) from None


def verify_jwt(
    token: str, secret: str, *, leeway: float = DEFAULT_LEEWAY, issuer: str | None = None
) -> Claims:
    """Verify an HS256 JWT signed with ``secret`` and return its claims (JWTError if refused)."""
    if not secret:
        raise ValueError("a non-empty secret is required to verify a JWT")
    return _verify_parsed(token, _unverified(token), secret, leeway=leeway, issuer=issuer)


def _verify_parsed(
    token: str, parsed: Mapping[str, Any], secret: str, *, leeway: float, issuer: str | None
) -> Claims:
    """``verify_jwt`` once the token was parsed (garbage is a 400 before any signature talk)."""
    if not secret:
        raise ValueError("a non-empty secret is required to verify a JWT")
    header = parsed["header"]
    if header.get("alg") != ALGORITHM:
        raise JWTError(f"JWT algorithm {header.get('alg')!r} is not allowed", status=401)
    try:
        with warnings.catch_warnings():
            # The key is HipChat's oauthSecret: its length is not the add-on's to choose.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            claims = jwt.decode(
                token, secret, algorithms=[ALGORITHM], leeway=leeway, options=_DECODE_OPTIONS
            )
    except jwt.MissingRequiredClaimError as exc:
        raise JWTError(f"JWT lacks a required claim: {exc.claim}", status=400) from exc
    except jwt.InvalidIssuedAtError as exc:
        raise JWTError(f"malformed JWT: {exc}", status=400) from exc
    except jwt.ExpiredSignatureError as exc:
        raise JWTError("JWT has expired", status=401) from exc
    except jwt.ImmatureSignatureError as exc:
        raise JWTError("JWT is issued in the future", status=401) from exc
    except jwt.InvalidSignatureError as exc:
        raise JWTError("JWT signature does not match", status=401) from exc
    except jwt.InvalidAlgorithmError as exc:
        raise JWTError("JWT algorithm is not allowed", status=401) from exc
    except jwt.DecodeError as exc:
        raise JWTError(f"malformed JWT: {exc}", status=400) from exc
    except jwt.PyJWTError as exc:
        raise JWTError(f"JWT refused: {exc}", status=401) from exc

    found_issuer = _issuer(claims)
    if issuer is not None and found_issuer != issuer:
        raise JWTError("JWT issuer does not match the installation", status=401)
    context = claims.get("context") or {}
    if not isinstance(context, dict):
        raise JWTError("JWT context is not an object", status=400)
    user = claims.get("sub")
    if user is None or user == "":
        user = claims.get("prn")
    return Claims(
        issuer=found_issuer,
        user_id=None if user is None or user == "" else str(user),
        context=context,
        room_id=_room_id(context),
        raw=claims,
    )


def sign_jwt(
    oauth_id: str,
    secret: str,
    *,
    sub: str | int | None = None,
    context: Mapping[str, Any] | None = None,
    ttl: int = 3600,
) -> str:
    """Sign an HS256 JWT as HipChat would (for the add-on's own pages calling back into it)."""
    if not oauth_id:
        raise ValueError("oauth_id is required")
    if not secret:
        raise ValueError("a non-empty secret is required to sign a JWT")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": oauth_id,
        "iat": now,
        "exp": now + int(ttl),
        "jti": _secrets.token_urlsafe(15),
        "context": dict(context or {}),
    }
    if sub is not None:
        claims["sub"] = str(sub)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_for_installation(
    token: str, lookup: Lookup, decrypt: Decrypt, *, leeway: float = DEFAULT_LEEWAY
) -> tuple[Installation, Claims]:
    """Verify a JWT against the installation its ``iss`` names (§4.2 steps 2-4).

    ``lookup`` maps an oauth_id to its Installation (or None: 401), ``decrypt`` opens the stored
    ``oauth_secret_encrypted``.
    """
    parsed = _unverified(token)
    issuer = _issuer(parsed["payload"])
    installation = lookup(issuer)
    if installation is None:
        raise JWTError("JWT issuer is not an installation of this add-on", status=401)
    secret = decrypt(installation.oauth_secret_encrypted)
    return installation, _verify_parsed(token, parsed, secret, leeway=leeway, issuer=issuer)


def authenticate_webhook(
    request: Request, payload: Any, lookup: Lookup, decrypt: Decrypt, settings: Settings
) -> tuple[Installation, Claims | None]:
    """The installation a webhook comes from, proven by its JWT (claims None if unsigned).

    Without a JWT, the body's ``oauth_client_id`` is believed only when
    ``settings.allow_unsigned_webhooks`` is on (§7.5); otherwise the webhook is refused (401).
    """
    client_id = payload.get("oauth_client_id") if isinstance(payload, dict) else None
    token = find_jwt(request)
    if token is not None:
        installation, claims = verify_for_installation(
            token, lookup, decrypt, leeway=settings.jwt_leeway
        )
        if isinstance(client_id, str) and client_id != claims.issuer:
            raise JWTError("JWT issuer does not match the webhook's oauth_client_id", status=401)
        return installation, claims
    if not settings.allow_unsigned_webhooks:
        raise JWTError("webhook is not signed (no JWT)", status=401)
    if not isinstance(client_id, str) or not client_id:
        raise JWTError("unsigned webhook without an oauth_client_id", status=401)
    installation = lookup(client_id)
    if installation is None:
        raise JWTError("webhook oauth_client_id is not an installation of this add-on", status=401)
    return installation, None
