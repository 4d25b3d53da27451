"""The organisation most admin tests act on."""

from __future__ import annotations

import pytest

from tests.world import World


@pytest.fixture
def acme(world: World) -> World:
    """acme: admin ada, members bob and carol; nobody has 2FA yet. A module that needs more
    (domains, a second organisation) defines its own ``acme``."""
    for name in ("ada", "bob", "carol"):
        world.user(name)
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.join("acme", "carol")
    return world
