"""The admin faces of the bridge: a JSON API (``api``) and a server-rendered console (``console``).

Both are thin: they parse the request, call ``bridge.services.orgs`` and present the result.
"""
