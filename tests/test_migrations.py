"""The migrations are the schema: upgrade, compare with the models, downgrade, on both backends."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect

import addon
from addon.store import Base, Store, make_engine, migrate
from tests.store.postgres import temporary_database

TABLES = {
    "addon_installation",
    "addon_token",
    "addon_room_webhook",
    "addon_seen_key",
    "addon_outbox",
}


def _diff(url: str, metadata: MetaData = Base.metadata) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": migrate.VERSION_TABLE,
                    "compare_type": True,
                    "compare_server_default": True,
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/db/addon.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with temporary_database() as url:
        yield url


def _full_cycle(url: str) -> None:
    assert migrate.current_revision(url) is None
    assert not migrate.is_current(url)

    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision() == "0004"
    assert migrate.is_current(url)
    assert _tables(url) == TABLES | {migrate.VERSION_TABLE}
    assert _diff(url) == []

    migrate.upgrade(url)  # idempotent at head
    assert migrate.is_current(url)

    migrate.downgrade(url)
    assert migrate.current_revision(url) is None
    assert not migrate.is_current(url)
    assert _tables(url) == {migrate.VERSION_TABLE}


def test_sqlite_upgrade_matches_models_and_downgrades(sqlite_url: str) -> None:
    _full_cycle(sqlite_url)


@pytest.mark.postgres
def test_postgres_upgrade_matches_models_and_downgrades(postgres_url: str) -> None:
    _full_cycle(postgres_url)


def test_comparison_would_notice_a_drift(sqlite_url: str) -> None:
    """Guard for the tests above: a model the migration does not know shows up as a difference."""
    migrate.upgrade(sqlite_url)
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["addon_token"].append_column(Column("extra", Integer))
    diff = _diff(sqlite_url, drifted)
    assert [entry[0] for entry in diff] == ["add_column"]  # type: ignore[index]


def test_migrating_an_in_memory_store_through_its_engine() -> None:
    store = Store("sqlite://", "k")
    try:
        assert not migrate.is_current(store.engine)
        migrate.upgrade(store.engine)
        assert migrate.is_current(store.engine)
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        with store.engine.connect() as connection:  # foreign keys back on for the app
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


def test_env_opens_its_own_connection_from_the_url(sqlite_url: str) -> None:
    command.upgrade(migrate.alembic_config(sqlite_url), "head")
    assert migrate.is_current(sqlite_url)


def test_offline_mode_emits_sql(sqlite_url: str) -> None:
    config = migrate.alembic_config(sqlite_url)
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE addon_installation" in sql
    assert "ON DELETE CASCADE" in sql
    assert _tables(sqlite_url) == set()  # nothing was executed


def test_missing_migrations_directory_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(addon, "__file__", str(tmp_path / "site" / "addon" / "__init__.py"))
    with pytest.raises(migrate.MigrationsNotFoundError, match="migrations"):
        migrate.alembic_config()


def test_migrations_dir_is_next_to_the_package() -> None:
    assert migrate.migrations_dir() == Path(addon.__file__).resolve().parent.parent / "migrations"
    assert (migrate.migrations_dir() / "versions" / "0001_initial.py").is_file()
