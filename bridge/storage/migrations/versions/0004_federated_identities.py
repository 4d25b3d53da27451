"""Federation: links from an upstream provider's subject to a local user.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "federated_identities",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federated_identities"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_federated_identities_user_id_users",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("provider", "subject", name="uq_federated_identities_provider_subject"),
    )
    op.create_index("ix_federated_identities_user_id", "federated_identities", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_federated_identities_user_id", table_name="federated_identities")
    op.drop_table("federated_identities")
