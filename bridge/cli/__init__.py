"""The ``bridge`` command line: ``main`` is the root group (``bridge.cli.main``); the
organisation, provider and flow commands, the context they share, the mapping of refusals to
messages and the unit of work per command each have a module of their own."""

from bridge.cli.main import main

__all__ = ["main"]
