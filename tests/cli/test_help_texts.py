"""Every option of every ``bridge`` command says what it does in ``--help`` (issue 14), and
every command has a help text of its own."""

from __future__ import annotations

from collections.abc import Iterator

import click

from bridge.cli import main


def _commands(command: click.Command, path: str = "bridge") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, f"{path} {name}")


def test_the_walk_reaches_every_group_and_command() -> None:
    paths = {path for path, _ in _commands(main)}
    assert {"bridge client add", "bridge client rotate-secret", "bridge user add"} <= paths
    assert "bridge api-client create" in paths and "bridge keys reseal" in paths


def test_every_option_of_every_command_has_help_text() -> None:
    missing = [
        f"{path} {'/'.join(param.opts)}"
        for path, command in _commands(main)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert missing == [], "options without help text: " + ", ".join(missing)


def test_every_command_has_help_text() -> None:
    missing = [path for path, command in _commands(main) if not (command.help or "").strip()]
    assert missing == [], "commands without help text: " + ", ".join(missing)
