"""SecretBox: key derivation, encryption, rotation and clear errors."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from addon.store import SecretBox, SecretError
from addon.store.secrets import derive_key


def test_round_trip_and_ciphertext_differs_from_plaintext() -> None:
    box = SecretBox("correct horse battery staple")
    token = box.encrypt("the secret")
    assert "the secret" not in token
    assert box.decrypt(token) == "the secret"
    assert box.encrypt("the secret") != token  # random IV: same input, new ciphertext


def test_unicode_text_survives() -> None:
    box = SecretBox("k")
    assert box.decrypt(box.encrypt("clé ☃ 秘密")) == "clé ☃ 秘密"


def test_any_passphrase_becomes_a_valid_fernet_key() -> None:
    key = derive_key("short")
    assert len(base64.urlsafe_b64decode(key)) == 32
    Fernet(key)  # would raise if not a valid key
    assert derive_key("short") == key
    assert derive_key("other") != key


@pytest.mark.parametrize("keys", ["", "   ", [], ["ok", ""], None])
def test_missing_or_empty_key_is_a_clear_value_error(keys: object) -> None:
    with pytest.raises(ValueError, match="key"):
        SecretBox(keys)  # type: ignore[arg-type]


def test_wrong_key_cannot_decrypt() -> None:
    token = SecretBox("one").encrypt("x")
    with pytest.raises(SecretError):
        SecretBox("two").decrypt(token)


@pytest.mark.parametrize("garbage", ["", "not a token", "gAAAA" + "x" * 40, "é"])
def test_garbage_raises_secret_error(garbage: str) -> None:
    with pytest.raises(SecretError):
        SecretBox("one").decrypt(garbage)


def test_encrypt_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        SecretBox("one").encrypt(b"bytes")  # type: ignore[arg-type]


def test_rotation_with_two_keys() -> None:
    old = SecretBox("old key")
    token = old.encrypt("secret")
    both = SecretBox(["new key", "old key"])
    assert both.decrypt(token) == "secret"  # old rows still readable

    rotated = both.rotate(token)
    assert SecretBox("new key").decrypt(rotated) == "secret"
    with pytest.raises(SecretError):
        old.decrypt(rotated)
    # new writes use the first key only
    assert SecretBox("new key").decrypt(both.encrypt("fresh")) == "fresh"


def test_rotate_refuses_a_token_no_key_fits() -> None:
    with pytest.raises(SecretError):
        SecretBox(["a", "b"]).rotate(SecretBox("c").encrypt("x"))
