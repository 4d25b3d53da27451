"""WSGI entry point for production servers: ``gunicorn 'bridge.wsgi:app'``.

Settings come from ``BRIDGE_CONFIG`` and ``BRIDGE_*`` variables; run ``bridge db upgrade``
before starting workers.
"""

from bridge.app import create_app

app = create_app()
