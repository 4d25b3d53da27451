"""Audit: the organisations that see each event (sign-ins through an organisation's client,
events about a member's account), one row per event and organisation.

Existing events are seen by the organisation of their ``org_id`` column, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event_orgs",
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "event_id", name="pk_audit_event_orgs"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_events.id"],
            name="fk_audit_event_orgs_event_id_audit_events",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_audit_event_orgs_event_id", "audit_event_orgs", ["event_id"])
    op.execute(
        "INSERT INTO audit_event_orgs (org_id, event_id)"
        " SELECT org_id, id FROM audit_events WHERE org_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_orgs_event_id", table_name="audit_event_orgs")
    op.drop_table("audit_event_orgs")
