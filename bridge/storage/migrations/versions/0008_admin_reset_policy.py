"""Organisations: the policy ``admin_reset_requires_verified_domain`` (seed 002: an admin may
start a 2FA reset only for members of a domain the organisation verified). On for every
organisation, existing ones included.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organisations",
        sa.Column(
            "admin_reset_requires_verified_domain",
            sa.Boolean(),
            server_default=sa.true(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("admin_reset_requires_verified_domain")
