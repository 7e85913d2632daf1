"""Secret key rotation: re-encrypt every stored OAuth secret and access token under the new key.

``ADDON_SECRET_KEY`` lists keys newest first; the first encrypts, all decrypt. To rotate, put a
new key in front, run ``flask addon secrets rotate``, then drop the old key. Rows are rewritten
in one transaction, so a failure (a row no listed key opens) leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from addon.store import Installation, Store, Token


@dataclass(frozen=True)
class RotationReport:
    """How many rows were re-encrypted."""

    installations: int
    tokens: int


def rotate_secrets(store: Store) -> RotationReport:
    """Re-encrypt every installation secret and cached token under the first key.

    Raises ``SecretError`` (nothing changed) when a row cannot be opened by any listed key.
    """
    with store.session() as session:
        installations = session.scalars(select(Installation)).all()
        for row in installations:
            row.oauth_secret_encrypted = store.box.rotate(row.oauth_secret_encrypted)
        tokens = session.scalars(select(Token)).all()
        for token in tokens:
            token.access_token_encrypted = store.box.rotate(token.access_token_encrypted)
        return RotationReport(installations=len(installations), tokens=len(tokens))
