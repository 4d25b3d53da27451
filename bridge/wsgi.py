"""WSGI entry point for production servers: ``gunicorn 'bridge.wsgi:app'``.

Settings come from ``BRIDGE_CONFIG`` and ``BRIDGE_*`` variables; run ``bridge db upgrade``
before starting workers. Each worker that imports this module logs in the configured format
(``logs``) and runs the mail outbox's sender thread (``mail.sender: thread``, the default).
Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder) so that ``/metrics`` adds
up every worker (docs/operations.md).
"""

from bridge.app import create_app
from bridge.observability.logs import configure_logging
from bridge.web.context import Bridge

app = create_app()
_bridge: Bridge = app.extensions["bridge"]
configure_logging(_bridge.services.settings.logs)
_bridge.services.start_background()
