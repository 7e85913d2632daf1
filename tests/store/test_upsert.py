"""``upsert``: one complete row per key, whoever writes it and however many at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from addon.store import Installation, Store
from addon.store.upsert import upsert


def values(n: int, when: datetime) -> dict:
    return {
        "oauth_id": "oauth-race",
        "oauth_secret_encrypted": f"secret-{n}",
        "group_id": n,
        "group_name": f"group {n}",
        "room_id": n,
        "capabilities_url": f"https://hc.example/{n}/capabilities",
        "token_url": f"https://hc.example/{n}/token",
        "api_url": f"https://hc.example/{n}/",
        "scopes": "send_notification",
        "created_at": when,
        "updated_at": when,
    }


def test_concurrent_upserts_leave_one_consistent_row(store: Store) -> None:
    first = datetime(2030, 1, 1, tzinfo=UTC)

    def write(n: int) -> None:
        with store.session() as session:
            upsert(
                session,
                Installation,
                values(n, first + timedelta(minutes=n)),
                conflict=("oauth_id",),
                keep=("created_at",),
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(40)))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 1
        row = session.scalars(select(Installation)).one()
    n = row.group_id
    # Every column comes from the same writer: no half of one install and half of another.
    assert (row.oauth_secret_encrypted, row.room_id, row.api_url) == (
        f"secret-{n}",
        n,
        f"https://hc.example/{n}/",
    )
    assert row.updated_at == first + timedelta(minutes=n)
    # ``keep`` columns survive an update.
    later = datetime(2040, 1, 1, tzinfo=UTC)
    with store.session() as session:
        upsert(
            session, Installation, values(99, later), conflict=("oauth_id",), keep=("created_at",)
        )
    with store.session() as session:
        again = session.scalars(select(Installation)).one()
    assert again.created_at == row.created_at
    assert again.updated_at == later
    assert again.group_id == 99
