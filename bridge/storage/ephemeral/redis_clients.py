"""A redis-py client for an ephemeral store URL: one server, a Sentinel-watched master, or a
Redis Cluster.

- ``redis://``, ``rediss://``, ``unix://``: one server (redis-py's own URL forms).
- ``redis+sentinel://[user:password@]host:port[,host:port...]/<service>[/<db>]``: ask these
  Sentinels for the master of ``<service>``; after a failover the next connection goes to the
  promoted replica (``rediss+sentinel://`` for TLS to the master). The password is the
  master's; Sentinels are asked without one unless ``?sentinel_password=`` is given.
- ``redis+cluster://[user:password@]host:port[,host:port...]``: a Redis Cluster, discovered
  from these nodes (``rediss+cluster://`` for TLS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

SCHEMES = ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel")
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


@dataclass(frozen=True)
class RedisClient:
    client: redis.Redis | RedisCluster
    where: str  # for messages: never the password
    reset: Callable[[], None]  # drop every pooled connection (a failover left them stale)


def _hosts(netloc: str) -> list[tuple[str, int]]:
    hosts = netloc.rpartition("@")[2]
    found = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"expected host:port, got {item!r}")
        found.append((host.strip("[]"), int(port)))
    return found


def _credentials(netloc: str) -> dict[str, Any]:
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return {}
    user, colon, password = userinfo.partition(":")
    found: dict[str, Any] = {"password": unquote(password if colon else user)}
    if colon and user:
        found["username"] = unquote(user)
    return found


def check_url(url: str) -> None:
    """Raise ``ValueError`` naming what is wrong with an ephemeral store URL."""
    parts = urlsplit(url)
    if parts.scheme not in (*SCHEMES, *CLUSTER_SCHEMES):
        raise ValueError(
            "must be a redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// URL"
        )
    if parts.scheme.endswith("+sentinel"):
        _hosts(parts.netloc)
        if not parts.path.strip("/").split("/")[0]:
            raise ValueError("a redis+sentinel:// URL names the service: .../<service>[/<db>]")
    elif parts.scheme in CLUSTER_SCHEMES:
        _hosts(parts.netloc)


def redis_client(url: str, **options: Any) -> RedisClient:
    """The client for ``url``; ``options`` are redis-py connection options (timeouts, retry)."""
    check_url(url)
    parts = urlsplit(url)
    if parts.scheme.endswith("+sentinel"):
        service, _, db = parts.path.strip("/").partition("/")
        query = parse_qs(parts.query)
        sentinel_kwargs = {
            key: value
            for key, value in options.items()
            if key in ("socket_timeout", "socket_connect_timeout")
        }
        if "sentinel_password" in query:
            sentinel_kwargs["password"] = query["sentinel_password"][0]
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            _hosts(parts.netloc), sentinel_kwargs=sentinel_kwargs
        )
        master = sentinel.master_for(  # type: ignore[no-untyped-call]
            service,
            db=int(db or 0),
            ssl=parts.scheme.startswith("rediss"),
            **_credentials(parts.netloc),
            **options,
        )
        where = f"the master of {service!r} (Sentinels {parts.netloc.rpartition('@')[2]})"
        return RedisClient(master, where, master.connection_pool.disconnect)
    if parts.scheme in CLUSTER_SCHEMES:
        options.pop("health_check_interval", None)
        cluster = RedisCluster(
            startup_nodes=[
                ClusterNode(host, port)  # type: ignore[no-untyped-call]
                for host, port in _hosts(parts.netloc)
            ],
            ssl=parts.scheme.startswith("rediss"),
            **_credentials(parts.netloc),
            **options,
        )
        where = f"the cluster at {parts.netloc.rpartition('@')[2]}"
        return RedisClient(cluster, where, cluster.disconnect_connection_pools)
    single = redis.Redis.from_url(url, **options)
    kwargs = single.connection_pool.connection_kwargs
    where = f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '?')}"
    return RedisClient(single, where, single.connection_pool.disconnect)
