"""The code an authenticator app shows, computed by oathtool (Debian's ``oathtool``, which
``.ci/run`` installs): an implementation of RFC 6238 that is not the bridge's pyotp."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest


def oathtool_code(
    secret: bytes, now: float, *, algorithm: str = "SHA1", digits: int = 6, period: int = 30
) -> str:
    tool = shutil.which("oathtool")
    if tool is None:
        pytest.fail("oathtool is required for these tests: apt-get install oathtool", pytrace=False)
    moment = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    command = [
        tool,
        f"--totp={algorithm.lower()}",
        f"--digits={digits}",
        f"--time-step-size={period}s",
        f"--now={moment}",
        secret.hex(),
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
