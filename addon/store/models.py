"""The add-on's persistent state: installations, their cached tokens and their room webhooks.

Tables are prefixed ``addon_`` so they can share a database with the add-on's own tables. The
schema is created only by the Alembic migrations in ``migrations/``; never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from addon.store.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def scope_key(scopes: str | Iterable[str]) -> str:
    """Normalise scopes (a space separated string or an iterable) to a sorted, de-duplicated key."""
    text = scopes if isinstance(scopes, str) else " ".join(scopes)
    return " ".join(sorted(set(text.split())))


class Base(DeclarativeBase):
    """Declarative base of every table the framework owns; constraints get predictable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Installation(Base):
    """One installation of the add-on (global to a group, or in one room), keyed by ``oauth_id``."""

    __tablename__ = "addon_installation"

    oauth_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    oauth_secret_encrypted: Mapped[str] = mapped_column(Text)
    group_id: Mapped[int] = mapped_column(BigInteger, index=True)
    group_name: Mapped[str | None] = mapped_column(String(255))
    room_id: Mapped[int | None] = mapped_column(BigInteger)
    capabilities_url: Mapped[str] = mapped_column(String(2048))
    token_url: Mapped[str] = mapped_column(String(2048))
    api_url: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tokens: Mapped[list[Token]] = relationship(
        back_populates="installation", cascade="all, delete-orphan", passive_deletes=True
    )
    webhooks: Mapped[list[RoomWebhook]] = relationship(
        back_populates="installation", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def scope_list(self) -> list[str]:
        """The granted scopes as a list, in stored order."""
        return self.scopes.split() if self.scopes else []

    @scope_list.setter
    def scope_list(self, scopes: Iterable[str]) -> None:
        self.scopes = " ".join(scopes)

    @property
    def is_global(self) -> bool:
        """True for a group-wide installation, False for one installed into a single room."""
        return self.room_id is None

    def __repr__(self) -> str:
        return f"<Installation {self.oauth_id} group={self.group_id} room={self.room_id}>"


class Token(Base):
    """A cached access token of an installation for one scope set (``scopes`` is a scope_key)."""

    __tablename__ = "addon_token"
    __table_args__ = (
        UniqueConstraint("oauth_id", "scopes"),
        Index(None, "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    oauth_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("addon_installation.oauth_id", ondelete="CASCADE")
    )
    scopes: Mapped[str] = mapped_column(String(1024))
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]

    installation: Mapped[Installation] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<Token {self.oauth_id} [{self.scopes}] expires={self.expires_at}>"


class RoomWebhook(Base):
    """A webhook the add-on registered in a room through the REST API (HipChat's id kept)."""

    __tablename__ = "addon_room_webhook"
    __table_args__ = (UniqueConstraint("oauth_id", "room_id", "handler_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    oauth_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("addon_installation.oauth_id", ondelete="CASCADE")
    )
    room_id: Mapped[int] = mapped_column(BigInteger)
    webhook_id: Mapped[int] = mapped_column(BigInteger)
    handler_key: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(64))
    pattern: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    installation: Mapped[Installation] = relationship(back_populates="webhooks")

    def __repr__(self) -> str:
        return f"<RoomWebhook {self.handler_key} room={self.room_id} id={self.webhook_id}>"


class SeenKey(Base):
    """A key seen once and refused again until ``expires_at``: replayed JWT ids, duplicate
    webhook deliveries. ``kind`` names the use (``jti``, ``delivery``)."""

    __tablename__ = "addon_seen_key"
    __table_args__ = (Index(None, "expires_at"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    oauth_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SeenKey {self.kind} {self.oauth_id} {self.key} until={self.expires_at}>"


class OutboxMessage(Base):
    """A reply waiting to be (or already) sent to a room: the durable outbox of ``event.reply``.

    Written in the handler's transaction; ``addon.outbox.Sender`` claims a row (``claimed_until``
    is a lease), sends ``body`` (the §6.3.1 notification JSON) and sets ``delivered_at`` once.
    A row that can never be sent gets ``failed_at`` and ``last_error``.
    """

    __tablename__ = "addon_outbox"
    __table_args__ = (
        Index(None, "delivered_at", "next_attempt_at"),
        # Pending rows of a room, oldest first: the order checks read only these.
        Index(
            "ix_addon_outbox_pending_room",
            "oauth_id",
            "room_id",
            "id",
            sqlite_where=text("delivered_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("delivered_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    oauth_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("addon_installation.oauth_id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: When an attempt lost its answer (HipChat may have posted it): checked before a resend.
    unconfirmed_since: Mapped[datetime | None]

    def __repr__(self) -> str:
        state = "delivered" if self.delivered_at else "failed" if self.failed_at else "pending"
        return f"<OutboxMessage {self.id} room={self.room_id} {state} attempts={self.attempts}>"
