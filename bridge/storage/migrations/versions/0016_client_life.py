"""A relying party can be disabled (issue 14): ``bridge client disable`` and ``enable``.

Every existing client stays enabled.

Revision ID: 0016_client_life
Revises: 0015_unique_email
Create Date: 2026-12-13
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_client_life"
down_revision: str | None = "0015_unique_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of ``clients`` on SQLite would cascade-delete grants.
    op.add_column(
        "clients",
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("disabled")
