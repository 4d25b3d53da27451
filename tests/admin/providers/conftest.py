"""Two organisations with verified domains, for the identity-provider tests (API and console)."""

from __future__ import annotations

import pytest

from tests.world import OPERATOR, World


@pytest.fixture
def acme(world: World) -> World:
    """acme (verified acme.example and acme-group.example): admin ada, member bob;
    globex (verified globex.example): admin gus."""
    for name in ("ada", "bob", "gus"):
        world.user(name)
    world.org("acme")
    world.org("globex")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.join("globex", "gus", "admin")
    for domain in ("acme.example", "acme-group.example"):
        world.services.orgs.add_domain(OPERATOR, "acme", domain)
    world.services.orgs.add_domain(OPERATOR, "globex", "globex.example")
    return world
