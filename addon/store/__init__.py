"""Persistence for the framework: models, the database handle and secrets encrypted at rest."""

from __future__ import annotations

from addon.store.database import Store, make_engine, normalise_url
from addon.store.models import Base, Installation, OutboxMessage, RoomWebhook, Token, scope_key
from addon.store.secrets import SecretBox, SecretError

__all__ = [
    "Base",
    "Installation",
    "OutboxMessage",
    "RoomWebhook",
    "SecretBox",
    "SecretError",
    "Store",
    "Token",
    "make_engine",
    "normalise_url",
    "scope_key",
]
