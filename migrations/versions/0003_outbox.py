"""The reply outbox: replies written with the handler's work, delivered by ``addon.outbox``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``addon_outbox`` (rows go with their installation) and its lookup indexes."""
    op.create_table(
        "addon_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("oauth_id", sa.String(length=64), nullable=False),
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["oauth_id"],
            ["addon_installation.oauth_id"],
            name="fk_addon_outbox_oauth_id_addon_installation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_addon_outbox"),
    )
    op.create_index("ix_addon_outbox_oauth_id", "addon_outbox", ["oauth_id"])
    op.create_index(
        "ix_addon_outbox_delivered_at_addon_outbox_next_attempt_at",
        "addon_outbox",
        ["delivered_at", "next_attempt_at"],
    )


def downgrade() -> None:
    """Drop ``addon_outbox``."""
    op.drop_index(
        "ix_addon_outbox_delivered_at_addon_outbox_next_attempt_at", table_name="addon_outbox"
    )
    op.drop_index("ix_addon_outbox_oauth_id", table_name="addon_outbox")
    op.drop_table("addon_outbox")
