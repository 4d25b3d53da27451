"""libpq's multi-host URLs in the form SQLAlchemy reads.

libpq takes ``postgresql://user@db1:5432,db2:5432/bridge?target_session_attrs=read-write``
and connects to the first host that accepts (with ``read-write``: the primary), so a bridge
follows a promoted standby without a change of configuration. SQLAlchemy cannot parse several
hosts in the authority; it reads them as repeated ``host`` query parameters, which this module
writes: ``postgresql://user@/bridge?host=db1:5432&host=db2:5432&target_session_attrs=...``.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def multi_host_url(url: str) -> str:
    """``url`` with several ``host[:port]`` in its authority moved to ``host=`` parameters;
    any other URL unchanged."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return url
    params = [f"host={quote(host.strip(), safe=':[]')}" for host in hosts.split(",")]
    query = "&".join([*params, *([parts.query] if parts.query else [])])
    return urlunsplit((parts.scheme, f"{userinfo}{at}", parts.path, query, parts.fragment))
