"""acme with an integration: admin ada, member bob, and robot, a service account."""

from __future__ import annotations

import pytest

from tests.world import OPERATOR, World


@pytest.fixture
def acme(world: World) -> World:
    for name in ("ada", "bob", "robot"):
        world.user(name)
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.join("acme", "robot")
    world.services.members.to_service_account(OPERATOR, "acme", "robot")
    return world
