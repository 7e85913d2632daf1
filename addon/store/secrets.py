"""Encryption at rest for OAuth secrets and access tokens (Fernet, with key rotation).

Keys are passphrases of any form: each is stretched to a Fernet key with SHA-256, so operators can
use any long random string. The first key encrypts; every key decrypts, which lets a new key be
put in front while old rows are re-encrypted with :meth:`SecretBox.rotate`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretError(ValueError):
    """A stored secret could not be decrypted (wrong key, or the value is not a Fernet token)."""


def derive_key(passphrase: str) -> bytes:
    """Turn any non-empty passphrase into a Fernet key: urlsafe base64 of its SHA-256 digest."""
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise ValueError("a secret key must be a non-empty string (set ADDON_SECRET_KEY)")
    return base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode("utf-8")).digest())


class SecretBox:
    """Encrypts and decrypts short text secrets with the configured keys (first key encrypts)."""

    def __init__(self, keys: str | Sequence[str]) -> None:
        key_list = [keys] if isinstance(keys, str) else list(keys or [])
        if not key_list:
            raise ValueError("at least one secret key is required (set ADDON_SECRET_KEY)")
        self._fernet = MultiFernet([Fernet(derive_key(key)) for key in key_list])
        self.key_count = len(key_list)

    def encrypt(self, text: str) -> str:
        """Encrypt ``text`` under the first key; returns an ASCII token safe for a Text column."""
        if not isinstance(text, str):
            raise TypeError(f"can only encrypt str, not {type(text).__name__}")
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with any key; SecretError if none fits."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, AttributeError) as exc:
            raise SecretError("stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the first key (for moving rows off a retired key)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError, AttributeError) as exc:
            raise SecretError("stored secret cannot be decrypted with the configured keys") from exc

    def __repr__(self) -> str:
        return f"<SecretBox keys={self.key_count}>"
