"""The same schema guarantees on PostgreSQL (cascade, uniqueness, UTC timestamps)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from addon.store import Installation, RoomWebhook, Store, Token

pytestmark = pytest.mark.postgres


def test_cascade_and_unique_constraints(
    pg_store: Store, make_installation: Callable[..., Installation]
) -> None:
    with pg_store.session() as session:
        session.add(make_installation(pg_store))
        session.add(
            Token(
                oauth_id="oauth-1",
                scopes="send_notification",
                access_token_encrypted=pg_store.box.encrypt("tok"),
                expires_at=datetime(2030, 1, 1, 14, tzinfo=timezone(timedelta(hours=2))),
            )
        )
        session.add(
            RoomWebhook(
                oauth_id="oauth-1",
                room_id=1,
                webhook_id=2,
                handler_key="k",
                event="room_enter",
                url="https://a.example/w",
            )
        )
    with pg_store.session() as session:
        token = session.scalars(select(Token)).one()
        assert token.expires_at == datetime(2030, 1, 1, 12, tzinfo=UTC)
        assert token.expires_at.utcoffset() == timedelta(0)
        assert pg_store.box.decrypt(token.access_token_encrypted) == "tok"
    with pytest.raises(IntegrityError), pg_store.session() as session:
        session.add(
            Token(
                oauth_id="oauth-1",
                scopes="send_notification",
                access_token_encrypted="x",
                expires_at=datetime.now(UTC),
            )
        )
    with pg_store.session() as session:
        session.execute(text("DELETE FROM addon_installation"))
    with pg_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == 0
        assert session.scalar(select(func.count()).select_from(RoomWebhook)) == 0


def test_rollback_on_exception(
    pg_store: Store, make_installation: Callable[..., Installation]
) -> None:
    def failing_unit_of_work() -> None:
        with pg_store.session() as session:
            session.add(make_installation(pg_store))
            session.flush()
            raise KeyError("x")

    with pytest.raises(KeyError):
        failing_unit_of_work()
    with pg_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 0
