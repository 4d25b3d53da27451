"""API clients (issue 12): machine clients of an organisation that use client credentials.

Revision ID: 0011_api_clients
Revises: 0010_app_passwords
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_api_clients"
down_revision: str | None = "0010_app_passwords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of ``clients`` on SQLite would cascade-delete grants.
    op.add_column(
        "clients",
        sa.Column("kind", sa.String(20), server_default="relying_party", nullable=False),
    )
    op.add_column("clients", sa.Column("jwks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("jwks")
        batch.drop_column("kind")
