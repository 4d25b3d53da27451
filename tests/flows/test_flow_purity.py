"""flows/ is pure Python: importing it pulls in no web framework, database or bridge code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_importing_flows_loads_no_framework_or_store() -> None:
    script = (
        "import sys, flows, flows.executor, flows.loader, flows.registry; "
        "banned = {'flask', 'sqlalchemy', 'redis', 'bridge', 'werkzeug'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
