"""PostgreSQL connections that died while pooled are replaced before a request uses them.

``pool_pre_ping`` would ping the server at every check-out: one more round trip for every
transaction (issue 16). Instead a pooled connection is pinged at check-out only when it sat
idle for more than ``IDLE_PING_SECONDS`` (a server restarted, a proxy or firewall dropped it);
a dead one is discarded and the check-out retried with a new connection (SQLAlchemy's
``DisconnectionError`` protocol). Connections older than ``POOL_RECYCLE_SECONDS`` are replaced
at check-out. A connection that dies while in use, or in the few seconds before, fails the
statement that finds it (the 503 page); SQLAlchemy then invalidates every pooled connection as
old as that one, so the requests after it connect afresh.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

POOL_RECYCLE_SECONDS = 1800
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "bridge_idle_since"


def install(engine: Engine) -> None:
    """Ping ``engine``'s connections at check-out once they have been idle for a while."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"a pooled connection was gone: {error}") from error

    event.listen(engine.pool, "checkin", checked_in)
    event.listen(engine.pool, "checkout", checked_out)
