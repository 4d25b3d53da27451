"""The in-process store serves one process: several processes with it refuse to start (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.config.errors import SettingsError
from bridge.storage.ephemeral.single_process import claim_single_process

BIN = Path(sys.executable).parent


def environment(data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return {**keep, "BRIDGE_DATA_DIR": str(data_dir), "BRIDGE_EPHEMERAL__BACKEND": "memory"}


def test_gunicorn_with_two_workers_and_the_in_process_store_refuses_to_start(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path / "data")
    subprocess.run([BIN / "bridge", "db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.run(
        [BIN / "gunicorn", "-w", "2", "-b", "127.0.0.1:0", "bridge.wsgi:app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode != 0
    assert "ephemeral.backend: 'memory' serves one process only" in server.stderr
    assert "BRIDGE_EPHEMERAL__BACKEND=redis" in server.stderr


def test_a_second_process_cannot_claim_the_data_directory_until_the_first_exits(
    tmp_path: Path,
) -> None:
    claim = "import sys; from pathlib import Path; from bridge.storage.ephemeral.single_process "
    claim += "import claim_single_process as c; c(Path(sys.argv[1])); print('held', flush=True); "
    claim += "sys.stdin.read()"
    first = subprocess.Popen(
        [sys.executable, "-c", claim, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None and first.stdout.readline() == "held\n"
        with pytest.raises(SettingsError, match="another process already serves"):
            claim_single_process(tmp_path)
    finally:
        first.communicate("", timeout=30)
    claim_single_process(tmp_path)  # the first process's exit released it
    claim_single_process(tmp_path)  # and this process may claim it again (many apps in tests)
