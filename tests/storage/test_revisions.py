"""The schema check at start-up reads the revisions without Alembic, and agrees with it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import MIGRATIONS, Database
from bridge.storage.db.revisions import code_heads

ROOT = Path(__file__).parents[2]


@pytest.fixture
def empty_database(empty_url: str) -> Iterator[Database]:
    database = Database(empty_url)
    yield database
    database.dispose()


def _migration(folder: Path, revision: str, down: object) -> None:
    (folder / f"{revision}.py").write_text(
        f'"""A migration."""\n\nrevision: str = {revision!r}\ndown_revision = {down!r}\n'
        "\n\ndef upgrade() -> None:\n    pass\n"
    )


def test_the_code_needs_the_head_alembic_names(empty_database: Database) -> None:
    alembic_heads = ScriptDirectory.from_config(empty_database.alembic_config()).get_heads()
    assert code_heads(MIGRATIONS / "versions") == set(alembic_heads)


def test_two_branches_are_two_heads_until_a_merge_joins_them(tmp_path: Path) -> None:
    branched, merged = tmp_path / "branched", tmp_path / "merged"
    for folder in (branched, merged):
        folder.mkdir()
        _migration(folder, "0001", None)
        _migration(folder, "0002_a", "0001")
        _migration(folder, "0002_b", "0001")
    _migration(merged, "0003_merge", ("0002_a", "0002_b"))
    assert code_heads(branched) == {"0002_a", "0002_b"}
    assert code_heads(merged) == {"0003_merge"}


def test_a_database_is_told_what_it_lacks_then_passes_once_migrated(
    empty_database: Database,
) -> None:
    assert empty_database.schema_problem() == (
        f"the database has no schema, this version of the bridge needs "
        f"{', '.join(sorted(code_heads(MIGRATIONS / 'versions')))}: run `bridge db upgrade`"
    )
    empty_database.upgrade("0014_password_resets")
    problem = empty_database.schema_problem()
    assert problem is not None
    assert problem.startswith("the database has 0014_password_resets, this version")
    empty_database.upgrade()
    assert empty_database.schema_problem() is None


def test_a_serving_app_loads_neither_alembic_nor_what_only_some_pages_need(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A gunicorn worker keeps every module it imports for its life (issue 16: its memory)."""
    database = Database(sqlite_url)
    database.upgrade()
    database.dispose()
    script = (
        "import sys; from bridge.app import create_app; create_app(); "
        "unneeded = {'alembic', 'mako', 'pygments', 'segno', 'passlib', 'requests'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & unneeded))"
    )
    environ = {
        **os.environ,
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_DATABASE_URL": sqlite_url,
        "BRIDGE_SECRET_KEY": "k" * 48,
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
