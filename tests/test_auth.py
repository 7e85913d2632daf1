"""JWT: where it is found, what is accepted, and each way a token is refused (with its status)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from addon.auth import (
    Claims,
    JWTError,
    authenticate_webhook,
    find_jwt,
    sign_jwt,
    unverified_issuer,
    verify_for_installation,
    verify_jwt,
)
from addon.store import Installation, SecretBox

SECRET = "s3cret-oauth-secret-of-at-least-32-bytes!"
LONG_SECRET = SECRET * 2  # HS512 wants 64 bytes
ISSUER = "b80f3c24-76ce-442a-9499-33dd895ccebf"


def _token(claims: dict[str, Any] | None = None, *, secret: str = SECRET, **header: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iss": ISSUER, "iat": now, "exp": now + 300, "sub": "14"}
    payload.update(claims or {})
    payload = {key: value for key, value in payload.items() if value is not None}
    algorithm = header.pop("algorithm", "HS256")
    return jwt.encode(payload, secret, algorithm=algorithm, headers=header or None)


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _hand_signed(payload: Any, secret: str = SECRET) -> str:
    """An HS256 token built by hand, for payloads PyJWT refuses to encode."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(payload)}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _request(**kwargs: Any) -> Request:
    return Request(EnvironBuilder(**kwargs).get_environ())


# --- finding the token ---------------------------------------------------------------------------


def test_find_in_query() -> None:
    assert find_jwt(_request(path="/configure", query_string={"signed_request": "abc"})) == "abc"


def test_find_in_form_first() -> None:
    request = _request(
        method="POST",
        query_string={"signed_request": "from-query"},
        data={"signed_request": "from-form"},
        headers={"Authorization": "JWT from-header"},
    )
    assert find_jwt(request) == "from-form"


def test_query_beats_header() -> None:
    request = _request(
        query_string={"signed_request": "from-query"}, headers={"Authorization": "JWT h"}
    )
    assert find_jwt(request) == "from-query"


@pytest.mark.parametrize("header", ["JWT tok", "jwt tok", "Jwt   tok  ", "  JWT tok"])
def test_find_in_authorization_header_any_case(header: str) -> None:
    assert find_jwt(_request(headers={"Authorization": header})) == "tok"


@pytest.mark.parametrize("header", ["Bearer tok", "JWT", "JWT   ", "JWTtok", "Basic dXM6cHc="])
def test_other_authorization_schemes_are_not_a_jwt(header: str) -> None:
    assert find_jwt(_request(headers={"Authorization": header})) is None


def test_nothing_found() -> None:
    assert find_jwt(_request(query_string={"signed_request": ""})) is None


def test_finding_does_not_consume_a_json_body() -> None:
    request = _request(
        method="POST",
        json={"event": "room_enter"},
        headers={"Authorization": "JWT tok"},
    )
    assert find_jwt(request) == "tok"
    assert request.get_json() == {"event": "room_enter"}


# --- issuer before verification ------------------------------------------------------------------


def test_unverified_issuer_reads_iss_without_the_secret() -> None:
    assert unverified_issuer(_token(secret="some other secret, 32 bytes or more")) == ISSUER


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", f"{_b64({'alg': 'HS256'})}.{_b64({'x': 1})[:-2]}!.sig"],
)
def test_unverified_issuer_refuses_garbage_with_400(token: str) -> None:
    with pytest.raises(JWTError) as info:
        unverified_issuer(token)
    assert info.value.status == 400


@pytest.mark.parametrize("iss", [None, "", 123, ["a"]])
def test_issuer_must_be_a_string(iss: Any) -> None:
    now = int(time.time())
    payload = {"iat": now, "exp": now + 60} | ({} if iss is None else {"iss": iss})
    token = _hand_signed(payload)
    for check in (unverified_issuer, lambda t: verify_jwt(t, SECRET)):
        with pytest.raises(JWTError) as info:
            check(token)
        assert info.value.status == 400
        assert "iss" in info.value.message


def test_payload_that_is_not_an_object_is_400() -> None:
    _refused(_hand_signed([1, 2]), 400, "malformed")
    _refused(_hand_signed("text"), 400, "malformed")


# --- acceptance ----------------------------------------------------------------------------------


def test_valid_token_gives_claims() -> None:
    token = _token({"context": {"room_id": 2589171, "user_tz": "Europe/Berlin"}, "jti": "x"})
    claims = verify_jwt(token, SECRET)
    assert claims == Claims(
        issuer=ISSUER,
        user_id="14",
        context={"room_id": 2589171, "user_tz": "Europe/Berlin"},
        room_id=2589171,
        raw=claims.raw,
    )
    assert claims.raw["jti"] == "x"


def test_user_falls_back_to_prn_and_is_a_string() -> None:
    assert verify_jwt(_token({"sub": None, "prn": 77}), SECRET).user_id == "77"
    assert verify_jwt(_token({"sub": 5, "prn": "9"}), SECRET).user_id == "5"  # int sub tolerated
    assert verify_jwt(_token({"sub": None}), SECRET).user_id is None


def test_room_id_from_context_string_and_absent() -> None:
    assert verify_jwt(_token({"context": {"room_id": "12"}}), SECRET).room_id == 12
    claims = verify_jwt(_token({"context": {"user_tz": "UTC"}}), SECRET)
    assert claims.room_id is None
    assert verify_jwt(_token(), SECRET).context == {}


@pytest.mark.parametrize("context", [{"room_id": "lobby"}, {"room_id": True}, ["room"], "x"])
def test_malformed_context_is_400(context: Any) -> None:
    with pytest.raises(JWTError) as info:
        verify_jwt(_token({"context": context}), SECRET)
    assert info.value.status == 400


def test_expired_within_leeway_is_accepted() -> None:
    now = int(time.time())
    verify_jwt(_token({"iat": now - 100, "exp": now - 5}), SECRET, leeway=10)


def test_iat_slightly_in_the_future_is_accepted_within_leeway() -> None:
    now = int(time.time())
    verify_jwt(_token({"iat": now + 5, "exp": now + 300}), SECRET, leeway=10)


def test_expected_issuer_is_checked_when_given() -> None:
    verify_jwt(_token(), SECRET, issuer=ISSUER)
    with pytest.raises(JWTError) as info:
        verify_jwt(_token(), SECRET, issuer="someone-else")
    assert info.value.status == 401


def test_audience_claim_is_ignored() -> None:
    assert verify_jwt(_token({"aud": "whatever"}), SECRET).issuer == ISSUER


def test_short_hipchat_secrets_verify_and_sign_without_warnings() -> None:
    token = _hand_signed(
        {"iss": ISSUER, "iat": int(time.time()), "exp": int(time.time()) + 60}, "k"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert verify_jwt(token, "k").issuer == ISSUER
        assert verify_jwt(sign_jwt(ISSUER, "k"), "k").issuer == ISSUER


# --- refusals ------------------------------------------------------------------------------------


def _refused(token: str, status: int, match: str, *, secret: str = SECRET) -> None:
    with pytest.raises(JWTError, match=match) as info:
        verify_jwt(token, secret)
    assert info.value.status == status


def test_bad_signature_is_401() -> None:
    _refused(_token(secret="another secret that is long enough!!"), 401, "signature")


def test_tampered_payload_is_401() -> None:
    header, _, signature = _token().split(".")
    forged = _b64({"iss": ISSUER, "iat": int(time.time()), "exp": 2**40, "sub": "1"})
    _refused(f"{header}.{forged}.{signature}", 401, "signature")


def test_expired_beyond_leeway_is_401() -> None:
    now = int(time.time())
    _refused(_token({"iat": now - 100, "exp": now - 11}), 401, "expired")


def test_iat_in_the_future_beyond_leeway_is_401() -> None:
    now = int(time.time())
    _refused(_token({"iat": now + 60, "exp": now + 300}), 401, "future")


def test_alg_none_is_401() -> None:
    now = int(time.time())
    body = _b64({"iss": ISSUER, "iat": now, "exp": now + 60})
    _refused(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{body}.", 401, "algorithm")


def test_hs512_is_401() -> None:
    _refused(_token(algorithm="HS512", secret=LONG_SECRET), 401, "algorithm", secret=LONG_SECRET)


def test_header_lying_about_hs256_still_fails() -> None:
    good = _token(algorithm="HS512", secret=LONG_SECRET)
    _, body, signature = good.split(".")
    forged = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{body}.{signature}"
    _refused(forged, 401, "signature", secret=LONG_SECRET)


def test_rs256_is_401() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    now = int(time.time())
    token = jwt.encode({"iss": ISSUER, "iat": now, "exp": now + 60}, pem, algorithm="RS256")
    _refused(token, 401, "algorithm")


@pytest.mark.parametrize("claim", ["iss", "iat", "exp"])
def test_missing_required_claim_is_400(claim: str) -> None:
    _refused(_token({claim: None}), 400, claim)


@pytest.mark.parametrize(("claim", "value"), [("iat", "yesterday"), ("exp", "soon")])
def test_non_numeric_times_are_400(claim: str, value: str) -> None:
    _refused(_token({claim: value}), 400, "malformed")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 50])
def test_garbage_is_400(token: str) -> None:
    _refused(token, 400, "JWT")


def test_empty_secret_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_jwt(_token(), "")


# --- signing -------------------------------------------------------------------------------------


def test_sign_round_trips_through_verify() -> None:
    token = sign_jwt(ISSUER, SECRET, sub=14, context={"room_id": 8}, ttl=60)
    claims = verify_jwt(token, SECRET)
    assert (claims.issuer, claims.user_id, claims.room_id) == (ISSUER, "14", 8)
    assert claims.raw["exp"] - claims.raw["iat"] == 60
    assert isinstance(claims.raw["jti"], str)
    assert len(claims.raw["jti"]) >= 16
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_sign_without_subject_or_context() -> None:
    raw = verify_jwt(sign_jwt(ISSUER, SECRET), SECRET).raw
    assert "sub" not in raw
    assert raw["context"] == {}
    assert raw["exp"] - raw["iat"] == 3600


def test_signed_tokens_get_distinct_ids() -> None:
    ids = {verify_jwt(sign_jwt(ISSUER, SECRET), SECRET).raw["jti"] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("oauth_id", "secret", "ttl"), [("", SECRET, 60), (ISSUER, "", 60), (ISSUER, SECRET, 0)]
)
def test_sign_refuses_bad_arguments(oauth_id: str, secret: str, ttl: int) -> None:
    with pytest.raises(ValueError, match=r"oauth_id|secret|ttl"):
        sign_jwt(oauth_id, secret, ttl=ttl)


def test_jwt_error_repr_and_defaults() -> None:
    error = JWTError("nope")
    assert error.status == 401
    assert error.message == "nope"
    assert "401" in repr(error)


# --- against installations -----------------------------------------------------------------------

BOX = SecretBox("test key")
INSTALLATION = Installation(oauth_id=ISSUER, oauth_secret_encrypted=BOX.encrypt(SECRET))


def _lookup(oauth_id: str) -> Installation | None:
    return INSTALLATION if oauth_id == ISSUER else None


def _settings(*, allow_unsigned: bool = False) -> Any:
    return SimpleNamespace(jwt_leeway=10, allow_unsigned_webhooks=allow_unsigned)


def test_verify_for_installation() -> None:
    installation, claims = verify_for_installation(_token(), _lookup, BOX.decrypt)
    assert installation is INSTALLATION
    assert claims.issuer == ISSUER


def test_verify_for_unknown_installation_is_401() -> None:
    with pytest.raises(JWTError) as info:
        verify_for_installation(_token({"iss": "stranger"}), _lookup, BOX.decrypt)
    assert info.value.status == 401


def test_verify_for_installation_with_a_forged_signature_is_401() -> None:
    token = _token(secret="the attacker's guess at the secret")
    with pytest.raises(JWTError, match="signature") as info:
        verify_for_installation(token, _lookup, BOX.decrypt)
    assert info.value.status == 401


def test_webhook_with_jwt_header() -> None:
    request = _request(method="POST", headers={"Authorization": f"JWT {_token()}"})
    installation, claims = authenticate_webhook(
        request, {"oauth_client_id": ISSUER}, _lookup, BOX.decrypt, _settings()
    )
    assert installation is INSTALLATION
    assert claims is not None
    assert claims.user_id == "14"


def test_webhook_jwt_must_match_oauth_client_id() -> None:
    request = _request(method="POST", query_string={"signed_request": _token()})
    with pytest.raises(JWTError, match="oauth_client_id") as info:
        authenticate_webhook(
            request, {"oauth_client_id": "other"}, _lookup, BOX.decrypt, _settings()
        )
    assert info.value.status == 401


def test_unsigned_webhook_is_refused_by_default() -> None:
    with pytest.raises(JWTError, match="not signed") as info:
        authenticate_webhook(
            _request(method="POST"), {"oauth_client_id": ISSUER}, _lookup, BOX.decrypt, _settings()
        )
    assert info.value.status == 401


def test_unsigned_webhook_fallback_when_allowed() -> None:
    settings = _settings(allow_unsigned=True)
    installation, claims = authenticate_webhook(
        _request(method="POST"), {"oauth_client_id": ISSUER}, _lookup, BOX.decrypt, settings
    )
    assert (installation, claims) == (INSTALLATION, None)
    for payload in ({"oauth_client_id": "stranger"}, {}, ["not", "a", "dict"]):
        with pytest.raises(JWTError) as info:
            authenticate_webhook(_request(method="POST"), payload, _lookup, BOX.decrypt, settings)
        assert info.value.status == 401
