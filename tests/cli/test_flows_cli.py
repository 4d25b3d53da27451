"""``bridge flows``: check, explain, render, reload; and the bindings they check."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bridge.config.errors import SettingsError
from bridge.config.flows import FlowReloader, load_bound_flows
from bridge.config.sections import FlowSettings
from flows import builtin_flows_dir
from tests.cli.test_cli import Invoke, run  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "config" / "flows" / "examples"


def settings(**data: Any) -> FlowSettings:
    return FlowSettings.model_validate(data)


def test_the_most_specific_binding_wins() -> None:
    flows = settings(
        browser="browser",
        bindings={
            "organisations": {"acme": {"browser": "org-flow"}},
            "clients": {"crm": {"browser": "client-flow"}, "pbx": {"federated": "pbx-fed"}},
        },
    )
    assert flows.flow_for("browser", "crm", "acme") == "client-flow"
    assert flows.flow_for("browser", "pbx", "acme") == "org-flow"
    assert flows.flow_for("browser", "wiki", None) == "browser"
    assert flows.flow_for("federated", "pbx", "acme") == "pbx-fed"
    assert flows.flow_for("federated", "crm", "acme") == "federated"


def test_a_binding_to_a_missing_flow_stops_the_start() -> None:
    with pytest.raises(SettingsError) as caught:
        load_bound_flows(settings(bindings={"clients": {"crm": {"browser": "strict"}}}))
    assert "flows.bindings.clients.crm.browser: no flow 'strict' in" in str(caught.value)


def test_a_browser_binding_to_a_federated_flow_stops_the_start() -> None:
    with pytest.raises(SettingsError) as caught:
        load_bound_flows(settings(browser="federated"))
    assert "flows.browser: flow 'federated' is a federated flow; a browser binding needs " in str(
        caught.value
    )


def test_level_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="level names must be unique"):
        settings(acr_levels=[{"name": "a", "factors": 1}, {"name": "a", "factors": 2}])


def test_flows_check_proves_the_shipped_flows(run: Invoke) -> None:  # noqa: F811
    result = run("flows", "check")
    assert result.exit_code == 0, result.output
    assert "ok: browser" in result.output and "proven: no path lets a user" in result.output
    assert "bound: flows.federated → federated" in result.output


def test_flows_check_fails_on_an_unsafe_example_with_its_trace(run: Invoke) -> None:  # noqa: F811
    result = run("flows", "check", str(EXAMPLES / "unsafe-disabled-code.yaml"))
    assert result.exit_code == 1
    assert (
        "password → (mfa_required=true, device_trusted=false) → recovery_code disabled → "
        "totp disabled → login completes"
    ) in result.output


def test_the_server_refuses_an_unsafe_flow_in_its_folder(run: Invoke, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "flows"
    shutil.copytree(builtin_flows_dir(), folder)
    shutil.copy(EXAMPLES / "unsafe-trusted-admins.yaml", folder)
    config = tmp_path / "bridge.yaml"
    config.write_text(f"flows:\n  directory: {folder}\n")
    result = run("--config", str(config), "flows", "check")
    assert result.exit_code == 1
    assert "unsafe-trusted-admins.yaml:10: steps[1].flow[0]: unsafe:" in result.output


def test_flows_explain_shows_each_condition_value(run: Invoke) -> None:  # noqa: F811
    run(
        "user",
        "add",
        "alice",
        "--email",
        "a@example.com",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    result = run("flows", "explain", "--flow", "browser", "--as", "user=alice,client=crm")
    assert result.exit_code == 0, result.output
    assert (
        "when any(all(any(mfa_required=true, user_has_totp=false), not device_trusted=false), "
        "acr_requested(min_factors=2)=false) → runs" in result.output
    )


def test_flows_explain_refuses_a_bad_as(run: Invoke) -> None:  # noqa: F811
    result = run("flows", "explain", "--as", "usr=alice")
    assert result.exit_code == 2
    assert "expected user=NAME,org=ID,client=ID" in result.output


def test_flows_render_writes_mermaid_and_svg(run: Invoke, tmp_path: Path) -> None:  # noqa: F811
    mermaid = run("flows", "render", "--flow", "browser")
    assert mermaid.output.startswith("flowchart TD\n")
    assert (
        '-->|"conditional: any(all(any(mfa_required, user_has_totp), not device_trusted), '
        'acr_requested(min_factors=2))"|' in mermaid.output
    )
    picture = tmp_path / "browser.svg"
    run("flows", "render", "--flow", "browser", "--format", "svg", "--output", str(picture))
    assert picture.read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_a_reload_keeps_the_running_flows_when_the_new_ones_fail(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(builtin_flows_dir(), folder)
    flow_settings = settings(directory=str(folder))
    running = load_bound_flows(flow_settings)
    services = SimpleNamespace(settings=SimpleNamespace(flows=flow_settings), flows=running)
    reloader = FlowReloader(cast(Any, services))

    shutil.copy(EXAMPLES / "unsafe-optional-second-factor.yaml", folder)
    refused = reloader.reload()
    assert not refused.ok and "unsafe" in refused.message
    assert services.flows is running

    (folder / "unsafe-optional-second-factor.yaml").unlink()
    accepted = reloader.reload()
    assert accepted.ok and accepted.message == "flows reloaded: browser, federated"
    assert services.flows is not running


def test_sighup_reloads_the_flows(tmp_path: Path) -> None:
    import os
    import signal

    folder = tmp_path / "flows"
    shutil.copytree(builtin_flows_dir(), folder)
    flow_settings = settings(directory=str(folder))
    running = load_bound_flows(flow_settings)
    services = SimpleNamespace(settings=SimpleNamespace(flows=flow_settings), flows=running)
    previous = signal.getsignal(signal.SIGHUP)
    try:
        assert FlowReloader(cast(Any, services)).install_sighup()
        os.kill(os.getpid(), signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert services.flows is not running
    assert services.flows.ids() == ("browser", "federated")


def test_build_services_refuses_an_unsafe_flow(tmp_path: Path) -> None:
    import os

    from bridge.config.loading import load_settings
    from bridge.config.secrets import Secrets
    from bridge.services.container import build_services
    from bridge.storage.crypto import generate_key_spec
    from flows import FlowConfigError

    folder = tmp_path / "flows"
    shutil.copytree(builtin_flows_dir(), folder)
    shutil.copy(EXAMPLES / "unsafe-disabled-code.yaml", folder)
    environ = {"BRIDGE_DATA_DIR": str(tmp_path / "data"), "BRIDGE_FLOWS__DIRECTORY": str(folder)}
    secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
    with pytest.raises(FlowConfigError) as caught:
        build_services(load_settings(None, environ), secrets)
    assert "unsafe-disabled-code.yaml:5: steps[0]: unsafe:" in str(caught.value)
