"""Languages: a person's own choice and an organisation's default (issue 13).

Revision ID: 0012
Revises: 0011_api_clients
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011_api_clients"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of ``users`` on SQLite would cascade-delete grants.
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("organisations", sa.Column("default_language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("default_language")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
