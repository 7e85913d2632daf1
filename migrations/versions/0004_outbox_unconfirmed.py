"""Outbox: remember sends whose answer was lost, and index each room's pending rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 18:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "delivered_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    """Add ``unconfirmed_since`` and a partial index over pending rows by room."""
    with op.batch_alter_table("addon_outbox") as batch:
        batch.add_column(sa.Column("unconfirmed_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_addon_outbox_pending_room",
        "addon_outbox",
        ["oauth_id", "room_id", "id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_addon_outbox_pending_room", table_name="addon_outbox")
    with op.batch_alter_table("addon_outbox") as batch:
        batch.drop_column("unconfirmed_since")
