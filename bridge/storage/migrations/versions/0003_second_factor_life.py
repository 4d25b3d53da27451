"""The second factor's life: recovery codes, trusted browsers, lock details, reset requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _user_fk(table: str, column: str = "user_id", ondelete: str = "CASCADE") -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("used_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
        _user_fk("recovery_codes"),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_code"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "trusted_devices",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("last_used_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trusted_devices"),
        _user_fk("trusted_devices"),
        sa.UniqueConstraint("token_hash", name="uq_trusted_devices_token_hash"),
    )
    op.create_index("ix_trusted_devices_user_id", "trusted_devices", ["user_id"])
    op.create_table(
        "account_locks",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("locked_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_account_locks"),
        _user_fk("account_locks"),
    )
    op.create_table(
        "reset_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_at", _when(), nullable=False),
        sa.Column("decided_at", _when(), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reset_requests"),
        _user_fk("reset_requests"),
        _user_fk("reset_requests", "decided_by", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_reset_requests_org_id_organisations",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'cancelled')", name="ck_reset_requests_status"
        ),
    )
    op.create_index("ix_reset_requests_user_id", "reset_requests", ["user_id"])
    op.create_index("ix_reset_requests_org_status", "reset_requests", ["org_id", "status"])


def downgrade() -> None:
    op.drop_table("reset_requests")
    op.drop_table("account_locks")
    op.drop_table("trusted_devices")
    op.drop_table("recovery_codes")
