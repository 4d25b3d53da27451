"""Fixtures for the flow engine's tests (pure Python: no database, no Redis)."""

from __future__ import annotations

import pytest

from flows import Flow, builtin_flows_dir, load_flows
from tests.flows.flowkit import FakeDirectory, FakeUser


@pytest.fixture
def directory() -> FakeDirectory:
    fake = FakeDirectory()
    fake.add(FakeUser("u-alice", "alice", "correct horse"))
    return fake


@pytest.fixture
def browser() -> Flow:
    return load_flows(builtin_flows_dir()).get("browser")
