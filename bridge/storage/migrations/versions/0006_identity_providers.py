"""Federation: upstream providers added through the admin API, and their e-mail domains.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(63), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(2048), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("link_by_verified_email", sa.Boolean(), nullable=False),
        sa.Column("trusted_amr", sa.Boolean(), nullable=False),
        sa.Column("algorithms", sa.JSON(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("metadata_ttl", sa.Integer(), nullable=False),
        sa.Column("max_clock_skew", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_identity_providers"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_identity_providers_org_id_organisations",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("alias", name="uq_identity_providers_alias"),
    )
    op.create_index("ix_identity_providers_org_id", "identity_providers", ["org_id"])
    op.create_table(
        "identity_provider_domains",
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("provider_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("domain", name="pk_identity_provider_domains"),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            name="fk_identity_provider_domains_provider_id_identity_providers",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_identity_provider_domains_provider_id", "identity_provider_domains", ["provider_id"]
    )


def downgrade() -> None:
    op.drop_index(
        "ix_identity_provider_domains_provider_id", table_name="identity_provider_domains"
    )
    op.drop_table("identity_provider_domains")
    op.drop_index("ix_identity_providers_org_id", table_name="identity_providers")
    op.drop_table("identity_providers")
