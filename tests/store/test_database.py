"""Store: engine settings, sessions, and what the schema enforces (on a migrated SQLite DB)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from addon.store import Installation, RoomWebhook, Store, Token, migrate, normalise_url, scope_key

MakeInstallation = Callable[..., Installation]


def _token(oauth_id: str = "oauth-1", scopes: str = "send_notification") -> Token:
    return Token(
        oauth_id=oauth_id,
        scopes=scopes,
        access_token_encrypted="enc",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


def _webhook(oauth_id: str = "oauth-1", key: str = "deploy") -> RoomWebhook:
    return RoomWebhook(
        oauth_id=oauth_id,
        room_id=7,
        webhook_id=99,
        handler_key=key,
        event="room_message",
        pattern="^/deploy",
        url="https://addon.example/webhook/deploy",
    )


def test_store_creates_the_parent_directory_but_no_tables(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/a/b/addon.db", "k")
    try:
        assert (tmp_path / "a" / "b").is_dir()
        assert inspect(store.engine).get_table_names() == []
    finally:
        store.dispose()


def test_sqlite_connections_enforce_foreign_keys(sqlite_url: str) -> None:
    store = Store(sqlite_url, "test passphrase")
    migrate.upgrade(sqlite_url)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(_token(oauth_id="nobody"))
    store.dispose()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(_token(oauth_id="nobody"))


def test_session_commits_on_success(store: Store, make_installation: MakeInstallation) -> None:
    with store.session() as session:
        session.add(make_installation(store))
    with store.session() as session:
        loaded = session.get(Installation, "oauth-1")
        assert loaded is not None
        assert loaded.group_name == "Example"


def test_session_rolls_back_on_exception(store: Store, make_installation: MakeInstallation) -> None:
    def failing_unit_of_work() -> None:
        with store.session() as session:
            session.add(make_installation(store))
            session.add(_token())
            session.flush()  # rows reached the database inside the transaction
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_unit_of_work()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 0
        assert session.scalar(select(func.count()).select_from(Token)) == 0


def test_objects_stay_readable_after_commit(
    store: Store, make_installation: MakeInstallation
) -> None:
    with store.session() as session:
        installation = make_installation(store)
        session.add(installation)
    assert installation.group_id == 42  # expire_on_commit=False: no detached-instance error


def test_deleting_an_installation_cascades_in_the_database(
    store: Store, make_installation: MakeInstallation
) -> None:
    with store.session() as session:
        session.add(make_installation(store))
        session.add(make_installation(store, "oauth-2"))
        session.add_all([_token(), _token(scopes="admin_room"), _webhook(), _token("oauth-2")])
    with store.session() as session:  # raw SQL: the FK's ON DELETE CASCADE does the work
        session.execute(text("DELETE FROM addon_installation WHERE oauth_id = 'oauth-1'"))
    with store.session() as session:
        assert session.scalars(select(Token.oauth_id)).all() == ["oauth-2"]
        assert session.scalars(select(RoomWebhook)).all() == []


def test_deleting_through_the_orm_removes_children(
    store: Store, make_installation: MakeInstallation
) -> None:
    with store.session() as session:
        session.add(make_installation(store))
        session.add_all([_token(), _webhook()])
    with store.session() as session:
        installation = session.get(Installation, "oauth-1")
        assert installation is not None
        assert len(installation.tokens) == 1
        assert len(installation.webhooks) == 1
        session.delete(installation)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == 0
        assert session.scalar(select(func.count()).select_from(RoomWebhook)) == 0


def test_unique_token_per_scope_set(store: Store, make_installation: MakeInstallation) -> None:
    with store.session() as session:
        session.add(make_installation(store))
        session.add(_token())
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(_token())


def test_unique_webhook_per_room_and_handler(
    store: Store, make_installation: MakeInstallation
) -> None:
    with store.session() as session:
        session.add(make_installation(store))
        session.add(_webhook())
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(_webhook())
    with store.session() as session:
        session.add(_webhook(key="other"))


def test_secrets_are_encrypted_at_rest(store: Store, make_installation: MakeInstallation) -> None:
    with store.session() as session:
        session.add(make_installation(store))
        session.add(
            Token(
                oauth_id="oauth-1",
                scopes="send_notification",
                access_token_encrypted=store.box.encrypt("plain-access-token"),
                expires_at=datetime.now(UTC),
            )
        )
    with store.engine.connect() as connection:
        installation_row = connection.execute(text("SELECT * FROM addon_installation")).one()
        token_row = connection.execute(text("SELECT * FROM addon_token")).one()
    assert "s3cret-value" not in repr(tuple(installation_row))
    assert "plain-access-token" not in repr(tuple(token_row))
    assert store.box.decrypt(installation_row.oauth_secret_encrypted) == (
        "s3cret-value-of-the-installation"
    )
    assert store.box.decrypt(token_row.access_token_encrypted) == "plain-access-token"


def test_timestamps_default_to_now_and_come_back_as_utc(
    store: Store, make_installation: MakeInstallation
) -> None:
    before = datetime.now(UTC)
    plus_two = timezone(timedelta(hours=2))
    with store.session() as session:
        session.add(make_installation(store))
        session.add(
            Token(
                oauth_id="oauth-1",
                scopes="a",
                access_token_encrypted="x",
                expires_at=datetime(2030, 1, 1, 14, 0, tzinfo=plus_two),
            )
        )
        session.add(
            Token(
                oauth_id="oauth-1",
                scopes="b",
                access_token_encrypted="x",
                expires_at=datetime(2030, 1, 1, 12, 0),  # naive: taken as UTC
            )
        )
    with store.session() as session:
        installation = session.get(Installation, "oauth-1")
        assert installation is not None
        assert installation.created_at.tzinfo is not None
        assert before - timedelta(seconds=1) <= installation.created_at <= datetime.now(UTC)
        expiries = session.scalars(select(Token.expires_at).order_by(Token.scopes)).all()
        assert expiries == [datetime(2030, 1, 1, 12, 0, tzinfo=UTC)] * 2
        assert all(value.utcoffset() == timedelta(0) for value in expiries)
        # queries compare in UTC too
        later = datetime(2030, 1, 1, 13, 0, tzinfo=plus_two)  # 11:00 UTC
        assert session.scalar(select(func.count()).where(Token.expires_at > later)) == 2


def test_updated_at_moves_on_update(store: Store, make_installation: MakeInstallation) -> None:
    with store.session() as session:
        session.add(make_installation(store))
    with store.session() as session:
        installation = session.get(Installation, "oauth-1")
        assert installation is not None
        first = installation.updated_at
        installation.group_name = "Renamed"
    with store.session() as session:
        installation = session.get(Installation, "oauth-1")
        assert installation is not None
        assert installation.updated_at > first
        assert installation.created_at <= first


def test_installation_helpers(store: Store, make_installation: MakeInstallation) -> None:
    installation = make_installation(store)
    assert installation.is_global
    assert installation.scope_list == ["send_notification", "view_room"]
    installation.scope_list = ["admin_room", "view_group"]
    assert installation.scopes == "admin_room view_group"
    assert make_installation(store, room_id=5).is_global is False
    assert make_installation(store, scopes="").scope_list == []


def test_scope_key_is_sorted_and_deduplicated() -> None:
    assert scope_key(["view_room", "send_notification", "view_room"]) == (
        "send_notification view_room"
    )
    assert scope_key("view_room  admin_room") == "admin_room view_room"
    assert scope_key([]) == ""


def test_in_memory_database_is_shared_across_threads(make_installation: MakeInstallation) -> None:
    store = Store("sqlite://", "k")
    migrate.upgrade(store.engine)
    with store.session() as session:
        session.add(make_installation(store))
    seen: list[int] = []

    def count() -> None:
        with store.session() as session:
            seen.append(session.scalar(select(func.count()).select_from(Installation)) or 0)

    worker = threading.Thread(target=count)
    worker.start()
    worker.join()
    assert seen == [1]
    store.dispose()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalise_url_picks_psycopg(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_postgres_store_pings_connections() -> None:
    store = Store("postgresql://postgres@127.0.0.1:1/none", "k")
    assert store.engine.pool._pre_ping  # type: ignore[attr-defined]
    assert "password" not in repr(store)
    store.dispose()
