"""A temporary password set by an admin or the operator must be changed at the next sign-in
(issue 14): ``users.password_must_change``, off for every existing account.

Revision ID: 0017_password_must_change
Revises: 0016_client_life
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_password_must_change"
down_revision: str | None = "0016_client_life"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of ``users`` on SQLite would cascade-delete grants.
    op.add_column(
        "users",
        sa.Column("password_must_change", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild cannot copy the computed email_key.
    op.drop_column("users", "password_must_change")
