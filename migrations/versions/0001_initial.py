"""Initial schema: installations, their cached tokens and their room webhooks.

Revision ID: 0001
Revises:
Create Date: 2024-01-01 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the three tables with their keys, unique constraints and indexes."""
    op.create_table(
        "addon_installation",
        sa.Column("oauth_id", sa.String(length=64), nullable=False),
        sa.Column("oauth_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("group_name", sa.String(length=255), nullable=True),
        sa.Column("room_id", sa.BigInteger(), nullable=True),
        sa.Column("capabilities_url", sa.String(length=2048), nullable=False),
        sa.Column("token_url", sa.String(length=2048), nullable=False),
        sa.Column("api_url", sa.String(length=2048), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("oauth_id", name="pk_addon_installation"),
    )
    op.create_index("ix_addon_installation_group_id", "addon_installation", ["group_id"])

    op.create_table(
        "addon_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("oauth_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=1024), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_addon_token"),
        sa.ForeignKeyConstraint(
            ["oauth_id"],
            ["addon_installation.oauth_id"],
            name="fk_addon_token_oauth_id_addon_installation",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("oauth_id", "scopes", name="uq_addon_token_oauth_id_scopes"),
    )
    op.create_index("ix_addon_token_expires_at", "addon_token", ["expires_at"])

    op.create_table(
        "addon_room_webhook",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("oauth_id", sa.String(length=64), nullable=False),
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("handler_key", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_addon_room_webhook"),
        sa.ForeignKeyConstraint(
            ["oauth_id"],
            ["addon_installation.oauth_id"],
            name="fk_addon_room_webhook_oauth_id_addon_installation",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "oauth_id",
            "room_id",
            "handler_key",
            name="uq_addon_room_webhook_oauth_id_room_id_handler_key",
        ),
    )


def downgrade() -> None:
    """Drop the tables, children first."""
    op.drop_table("addon_room_webhook")
    op.drop_index("ix_addon_token_expires_at", table_name="addon_token")
    op.drop_table("addon_token")
    op.drop_index("ix_addon_installation_group_id", table_name="addon_installation")
    op.drop_table("addon_installation")
