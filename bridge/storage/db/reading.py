"""Blocks that only read: no savepoint inside a unit of work (issue 16).

``Database.session()`` runs each block of a unit of work in a SAVEPOINT so that a block that
raises undoes exactly its own changes (``bridge.storage.db.unit``). A block that changes
nothing has nothing to undo, yet its ``SAVEPOINT``/``RELEASE`` pair is two more round trips on
PostgreSQL, and most blocks of a login only read. ``Database.reading()`` gives those blocks a
``ReadingSession`` on the unit's connection without a savepoint. It refuses to write: an
INSERT, UPDATE or DELETE it is asked to run, or an object added, changed or deleted in it,
raises ``ReadOnlyBlock`` (a programming error, never a user's). A statement that fails in it
(the database gone) fails the request, as it would have with a savepoint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session


class ReadOnlyBlock(RuntimeError):  # noqa: N818 (reads as a state)
    """A ``Database.reading()`` block tried to write."""


class ReadingSession(Session):
    """A session that reads in the unit's transaction and never writes."""

    def check_unchanged(self) -> None:
        if self.new or self.dirty or self.deleted:
            raise ReadOnlyBlock("a reading block added, changed or deleted rows")


@event.listens_for(ReadingSession, "do_orm_execute")
def _only_reads(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise ReadOnlyBlock(f"a reading block may not run {state.statement.__class__.__name__}")


@event.listens_for(ReadingSession, "before_flush")
def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
    assert isinstance(session, ReadingSession)
    session.check_unchanged()
