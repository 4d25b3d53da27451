"""``bridge flows``: check, explain, render and reload the login flows."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click

from bridge.cli.context import Context
from bridge.cli.unit import UnitOfWorkGroup
from bridge.config.flows import load_bound_flows
from bridge.config.loading import load_settings
from bridge.config.settings import Settings
from flows import Flow, FlowConfigError, FlowSet, LoginRequest, load_flow_text
from flows.checks import safety_issues
from flows.explain import explain
from flows.model import FlowKind
from flows.render import mermaid, svg


def _settings(obj: Context) -> Settings:
    """The settings (a ``SettingsError`` is printed by ``bridge.cli.errors``)."""
    return load_settings(obj.config, os.environ)


def _flows(settings: Settings) -> FlowSet:
    """The configured flows (a ``FlowConfigError`` is printed by ``bridge.cli.errors``)."""
    return load_bound_flows(settings.flows)


def _verdict(flow: Flow) -> str:
    if flow.kind is FlowKind.FEDERATED:
        return "federated flow: runs only after an upstream login, no second factor asked (R7)"
    assert not safety_issues(flow)
    return "proven: no path lets a user who must use 2FA in with fewer than two factors"


@click.group("flows", cls=UnitOfWorkGroup)
def flows_group() -> None:
    """Login flows: check, explain, render, reload."""


@flows_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def flows_check(obj: Context, files: tuple[Path, ...]) -> None:
    """Validate and prove the configured flows and their bindings, or the FILES given.

    Exits non-zero with every problem: file, line, execution path and, for an unsafe flow,
    the path through it that lets a 2FA user in with one factor.
    """
    if files:
        failed = False
        for path in files:
            try:
                flow = load_flow_text(path.read_text(encoding="utf-8"), str(path), prove=True)
            except FlowConfigError as error:
                click.echo(str(error), err=True)
                failed = True
                continue
            click.echo(f"ok: {flow.id} ({path}): {_verdict(flow)}")
        if failed:
            raise click.exceptions.Exit(1)
        return
    settings = _settings(obj)
    flow_set = _flows(settings)
    for flow in flow_set:
        click.echo(f"ok: {flow.id} ({flow.source}): {_verdict(flow)}")
    for key, _kind, flow_id in settings.flows.bound_flows():
        click.echo(f"bound: {key} → {flow_id}")


def _parse_as(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key not in ("user", "org", "client") or not value:
            raise click.BadParameter(f"expected user=NAME,org=ID,client=ID, got {part!r}")
        found[key] = value
    return found


@flows_group.command("explain")
@click.option("--flow", "flow_id", help="Flow id (default: the browser flow bound for --as).")
@click.option("--as", "as_", default="", help="Who and from where: user=alice,org=acme,client=crm")
@click.option("--acr", multiple=True, help="An acr value the request asks for (repeatable).")
@click.pass_obj
def flows_explain(obj: Context, flow_id: str | None, as_: str, acr: tuple[str, ...]) -> None:
    """Print the plan the engine would run for that user right now, with condition values."""
    who = _parse_as(as_)
    services = obj.services()
    user_id = None
    if "user" in who:
        user = services.users.find(who["user"])
        if user is None:
            raise click.ClickException(f"no user {who['user']!r}")
        user_id = user.id
    client, org = who.get("client"), who.get("org")
    chosen = flow_id or services.settings.flows.flow_for("browser", client, org)
    if chosen not in services.flows:
        raise click.ClickException(f"no flow {chosen!r} (known: {', '.join(services.flows.ids())})")
    flow = services.flows.get(chosen)
    request = LoginRequest(client_id=client, org_id=org, acr_values=acr)
    lines = explain(flow, request, services.directory, user_id=user_id, now=int(services.clock()))
    shown = ", ".join(f"{key}={value}" for key, value in who.items()) or "nobody yet"
    how = "chosen with --flow" if flow_id else "bound for this client and organisation"
    click.echo(f"as {shown}: flow {chosen!r} ({how})")
    click.echo("\n".join(lines))


@flows_group.command("render")
@click.option("--flow", "flow_id", required=True, help="Flow id.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid flowchart text, or an SVG picture.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@click.pass_obj
def flows_render(obj: Context, flow_id: str, fmt: str, output: Path | None) -> None:
    """Draw a flow as a Mermaid flowchart or an SVG picture."""
    flow_set = _flows(_settings(obj))
    if flow_id not in flow_set:
        raise click.ClickException(f"no flow {flow_id!r} (known: {', '.join(flow_set.ids())})")
    flow = flow_set.get(flow_id)
    text = mermaid(flow) if fmt == "mermaid" else svg(flow)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


@flows_group.command("reload")
@click.option("--pid", type=int, required=True, help="Process id of the running bridge.")
@click.pass_obj
def flows_reload(obj: Context, pid: int) -> None:
    """Check the flows, then ask the running bridge to reload them (SIGHUP).

    Nothing is sent when the check fails; the bridge itself checks again and keeps its
    running flows if the files changed in between.
    """
    flow_set = _flows(_settings(obj))
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise click.ClickException(f"no process {pid}") from None
    click.echo(f"checked {', '.join(flow_set.ids())}; sent SIGHUP to {pid}")
