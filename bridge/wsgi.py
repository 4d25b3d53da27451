"""WSGI entry point for production servers: ``gunicorn 'bridge.wsgi:app'``.

Settings come from ``BRIDGE_CONFIG`` and ``BRIDGE_*`` variables; run ``bridge db upgrade``
before starting workers. Each worker that imports this module also runs the mail outbox's
sender thread (``mail.sender: thread``, the default).
"""

from bridge.app import create_app
from bridge.web.context import Bridge

app = create_app()
_bridge: Bridge = app.extensions["bridge"]
_bridge.services.start_background()
