"""Organisations with their security policy, memberships, verified domains; user flags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("mfa_enforced", sa.Boolean(), nullable=False),
        sa.Column("on_disable", sa.String(8), nullable=False),
        sa.Column("trusted_browsers_enabled", sa.Boolean(), nullable=False),
        sa.Column("trusted_browser_days", sa.Integer(), nullable=False),
        sa.Column("lockout_password_failures", sa.Integer(), nullable=False),
        sa.Column("lockout_code_failures", sa.Integer(), nullable=False),
        sa.Column("lockout_action", sa.String(8), nullable=False),
        sa.Column("sso_enabled", sa.Boolean(), nullable=False),
        sa.Column("sso_idp_alias", sa.String(100), nullable=True),
        sa.Column("sso_domains", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("slug", name="uq_organisations_slug"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name="fk_organisations_parent_id_organisations",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "kind IN ('partner', 'customer', 'standalone')", name="ck_organisations_kind"
        ),
        sa.CheckConstraint("mode IN ('trial', 'production')", name="ck_organisations_mode"),
        sa.CheckConstraint("on_disable IN ('keep', 'wipe')", name="ck_organisations_on_disable"),
        sa.CheckConstraint(
            "lockout_action IN ('lock', 'restart')", name="ck_organisations_lockout_action"
        ),
        sa.CheckConstraint(
            "trusted_browser_days BETWEEN 7 AND 90", name="ck_organisations_trusted_browser_days"
        ),
    )
    op.create_index("ix_organisations_parent_id", "organisations", ["parent_id"])
    op.create_table(
        "memberships",
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "user_id", name="pk_memberships"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_memberships_org_id_organisations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_memberships_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint("role IN ('member', 'admin')", name="ck_memberships_role"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "org_domains",
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("verified_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name="pk_org_domains"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_org_domains_org_id_organisations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_org_domains_org_id", "org_domains", ["org_id"])

    op.add_column(
        "users",
        sa.Column("mfa_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "users",
        sa.Column("service_account", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("users", sa.Column("locked_at", _when(), nullable=True))
    op.add_column("audit_events", sa.Column("org_id", sa.String(32), nullable=True))
    op.create_index("ix_audit_events_org_id", "audit_events", ["org_id"])

    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot add a constraint to an existing table, but a column added with an inline
        # REFERENCES clause carries its foreign key; no table rebuild (which would cascade).
        op.execute(
            "ALTER TABLE clients ADD COLUMN org_id VARCHAR(32) "
            "CONSTRAINT fk_clients_org_id_organisations "
            "REFERENCES organisations (id)"
        )
    else:
        op.add_column("clients", sa.Column("org_id", sa.String(32), nullable=True))
        op.create_foreign_key(
            "fk_clients_org_id_organisations",
            "clients",
            "organisations",
            ["org_id"],
            ["id"],
        )
    op.create_index("ix_clients_org_id", "clients", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_org_id", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("org_id")
    op.drop_index("ix_clients_org_id", table_name="clients")
    with op.batch_alter_table("clients") as batch:
        if op.get_context().dialect.name != "sqlite":
            batch.drop_constraint("fk_clients_org_id_organisations", type_="foreignkey")
        batch.drop_column("org_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_at")
        batch.drop_column("service_account")
        batch.drop_column("mfa_required")
    op.drop_table("org_domains")
    op.drop_table("memberships")
    op.drop_table("organisations")
