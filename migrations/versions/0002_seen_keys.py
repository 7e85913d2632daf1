"""Seen keys: JWT ids (replay protection) and webhook delivery keys (duplicate deliveries).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``addon_seen_key`` with its expiry index (expired rows are purged by it)."""
    op.create_table(
        "addon_seen_key",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("oauth_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "oauth_id", "key", name="pk_addon_seen_key"),
    )
    op.create_index("ix_addon_seen_key_expires_at", "addon_seen_key", ["expires_at"])


def downgrade() -> None:
    """Drop ``addon_seen_key``."""
    op.drop_index("ix_addon_seen_key_expires_at", table_name="addon_seen_key")
    op.drop_table("addon_seen_key")
