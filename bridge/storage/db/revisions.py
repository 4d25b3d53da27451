"""The schema revision the code needs and the one a database has, read without Alembic.

Every serving process checks at start that its database has the newest schema
(``Database.schema_problem``). Asking Alembic imports it, Mako and Pygments with it, and every
migration: about 11 MiB that each gunicorn worker then keeps for its whole life, for one question
at start-up. A migration names its revision and its parent in two module-level assignments
(Alembic's convention, ``script.py.mako``), which ``ast`` reads without importing anything; the
database's revisions are the rows of Alembic's version table. A test checks the answer against
Alembic's own.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from sqlalchemy import Connection, inspect, text

VERSION_TABLE = "alembic_version"


@functools.cache
def code_heads(versions: Path) -> frozenset[str]:
    """The revisions of the migrations in ``versions`` that no other migration builds on (read
    once per process: the readiness check asks on every probe)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        names = _revision_names(path)
        if "revision" not in names:
            continue
        revisions.add(str(names["revision"]))
        down = names.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(parent) for parent in down)
    return frozenset(revisions - parents)


def database_heads(connection: Connection) -> set[str]:
    """The revisions recorded in the database (none before the first migration)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return {str(row) for row in rows}


def _revision_names(path: Path) -> dict[str, object]:
    """``revision`` and ``down_revision`` as the module assigns them (literals)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)
    return found
