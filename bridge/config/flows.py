"""The configured login flows: loaded, proven, checked against their bindings, and reloaded.

``load_bound_flows`` is what start-up runs (through ``build_services``) and what ``bridge
flows check`` runs: a flow that does not parse, has an unreachable execution or fails the
safety proof, and a binding that names a missing flow or one of the wrong kind, all stop it.

``FlowReloader`` swaps in new flows on ``SIGHUP`` (or ``bridge flows reload``), and keeps the
running ones when the new files fail any of those checks. Logins already under way with a
flow whose file changed are asked to start again (their state names the old digest).
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from bridge.config.errors import SettingsError
from bridge.config.sections import FlowSettings
from flows import FlowConfigError, FlowSet, load_flows

if TYPE_CHECKING:
    from bridge.services.container import Services

log = logging.getLogger(__name__)


def load_bound_flows(settings: FlowSettings) -> FlowSet:
    """Every flow of the configured folder, each proven safe, and every binding resolvable.

    Raises ``FlowConfigError`` for the files and ``SettingsError`` for the bindings.
    """
    directory = settings.directory_resolved
    flow_set = load_flows(directory, prove=True)
    problems: list[str] = []
    for key, kind, flow_id in settings.bound_flows():
        if flow_id not in flow_set:
            found = ", ".join(flow_set.ids()) or "none"
            problems.append(f"{key}: no flow {flow_id!r} in {directory} (found: {found})")
            continue
        actual = flow_set.get(flow_id).kind.value
        if actual != kind:
            problems.append(
                f"{key}: flow {flow_id!r} is a {actual} flow; a {kind} binding needs "
                f"'kind: {kind}' (a federated flow starts with the user an upstream "
                "provider identified, so it must never run for a browser login)"
            )
    if problems:
        raise SettingsError(problems)
    return flow_set


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    message: str


class FlowReloader:
    """Replaces ``services.flows`` with freshly loaded and proven flows, or keeps the old ones."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()

    def reload(self) -> ReloadResult:
        with self._lock:
            try:
                fresh = load_bound_flows(self.services.settings.flows)
            except (FlowConfigError, SettingsError) as error:
                message = f"flows not reloaded, the running ones stay:\n{error}"
                log.error(message)
                return ReloadResult(False, message)
            self.services.flows = fresh
            message = f"flows reloaded: {', '.join(fresh.ids())}"
            log.info(message)
            return ReloadResult(True, message)

    def install_sighup(self) -> bool:
        """Reload on ``SIGHUP``; False where signals cannot be handled (not the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return False

        def handle(signum: int, frame: FrameType | None) -> None:
            self.reload()

        signal.signal(signal.SIGHUP, handle)
        return True
