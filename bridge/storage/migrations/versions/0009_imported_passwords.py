"""Imported users: a password hash brought from another provider waits for the first login.

Revision ID: 0009_imported_passwords
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_imported_passwords"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of ``users`` on SQLite would cascade-delete grants.
    op.add_column(
        "users", sa.Column("password_imported_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_imported_at")
