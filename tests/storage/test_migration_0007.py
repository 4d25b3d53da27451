"""Migration 0007 (the organisations that see each audit event) on a database that already
holds audit events, on SQLite and on PostgreSQL; and back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bridge.storage.db.engine import Database

EVENTS = (
    "INSERT INTO audit_events (occurred_at, event, user_id, org_id, details) VALUES"
    " ('2026-01-01 00:00:00+00', 'member_added', 'u1', 'o1', '{}'),"
    " ('2026-01-01 00:00:01+00', 'sign_in_succeeded', 'u1', NULL, '{}')"
)


def test_upgrading_from_0006_lets_each_event_be_seen_by_its_organisation(empty_url: str) -> None:
    database = Database(empty_url)
    try:
        database.upgrade("0006")
        with database.engine.begin() as connection:
            connection.execute(text(EVENTS))
        database.upgrade()
        assert database.schema_problem() is None
        with database.engine.connect() as connection:
            links = connection.execute(
                text(
                    "SELECT o.org_id, e.event FROM audit_event_orgs o"
                    " JOIN audit_events e ON e.id = o.event_id"
                )
            ).all()
        assert [tuple(link) for link in links] == [("o1", "member_added")]
    finally:
        database.dispose()


def test_downgrading_to_0006_drops_the_table_and_keeps_the_events(empty_url: str) -> None:
    database = Database(empty_url)
    try:
        database.upgrade()
        with database.engine.begin() as connection:
            connection.execute(text(EVENTS))
            config = database.alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "audit_event_orgs" not in inspect(database.engine).get_table_names()
        with database.engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        assert count == 2
    finally:
        database.dispose()
