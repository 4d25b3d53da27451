"""One account per e-mail address, case-insensitively: the address signs in too (issue 14).

``users.email_key`` is the address in lower case, computed by the database; a unique index on it
makes the address unique among accounts with a password (those the address signs in; an
account made for an upstream identity has none and may share a local account's address).
Existing accounts may already share an address: then the index is not
created and the migration does not fail. It logs the shared addresses, ``bridge user
email-conflicts`` lists them, and once they are resolved the same command creates the index.
Until then an address that several accounts share signs in none of them (their usernames still
do).

Revision ID: 0015_unique_email
Revises: 0014_password_resets
Create Date: 2026-12-12
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_unique_email"
down_revision: str | None = "0014_password_resets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_users_email_key"
log = logging.getLogger("bridge.migrations")


def upgrade() -> None:
    # A plain ADD COLUMN (virtual on SQLite, stored on PostgreSQL): a batch rebuild of ``users``
    # on SQLite would cascade-delete what hangs off it.
    stored = op.get_bind().dialect.name != "sqlite"  # SQLite adds only virtual columns
    op.add_column(
        "users",
        sa.Column(
            "email_key",
            sa.String(320),
            sa.Computed("lower(email)", persisted=stored),
            nullable=True,
        ),
    )
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT email_key, count(*) AS accounts FROM users WHERE email_key IS NOT NULL"
                " AND password_hash IS NOT NULL GROUP BY email_key HAVING count(*) > 1"
                " ORDER BY email_key"
            )
        )
        .all()
    )
    if shared:
        log.warning(
            "%d e-mail addresses are shared by several accounts, so addresses are not made"
            " unique yet and a shared one signs in none of its accounts; resolve them, then run"
            " `bridge user email-conflicts`: %s",
            len(shared),
            ", ".join(f"{row.email_key} ({row.accounts} accounts)" for row in shared),
        )
        return
    op.create_index(
        INDEX,
        "users",
        ["email_key"],
        unique=True,
        sqlite_where=sa.text("password_hash IS NOT NULL"),
        postgresql_where=sa.text("password_hash IS NOT NULL"),
    )


def downgrade() -> None:
    if INDEX in {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("users")}:
        op.drop_index(INDEX, table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_key")
