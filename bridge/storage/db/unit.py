"""One database transaction for a whole piece of work: an HTTP request or a CLI command.

A unit of work is bound to the current context (a ``ContextVar``: the request's thread, the
command). While one is active, every ``Database.session()`` block joins its single transaction
instead of opening its own; the unit commits once when it ends normally and rolls back when it
ends with an error. Outside a unit, ``Database.session()`` keeps its own transaction per block
(background threads such as the mail outbox, tests that call services directly).

**An error inside an inner block.** Before units existed every ``session()`` block was a
transaction of its own, and callers rely on that: ``UserService.create`` turns the
``IntegrityError`` of a lost race into ``UserExists``, ``FederatedAccounts`` and ``SigningKeys``
catch it and read the row the winner wrote, and domain errors raised in the middle of a block
(a refused change) are caught by views that then render a page and commit what the request
recorded (a failed sign-in, a lockout counter). So each inner block runs in a SAVEPOINT, in a
``Session`` of its own on the unit's connection: when it raises, exactly its own changes are
undone, the unit's transaction stays usable (PostgreSQL would otherwise refuse every further
statement) and the request carries on as it did before. Each block also keeps a fresh identity
map, so a block that reads a row again (the refresh-token reuse check after a lost conditional
UPDATE) sees the database, not an object cached by an earlier block. The price is a
``SAVEPOINT``/``RELEASE`` pair per block, inside the one transaction. SQLite needs the
transaction control in ``bridge.storage.db.sqlite`` for savepoints to be part of the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

T = TypeVar("T")

_current: ContextVar[UnitOfWork | None] = ContextVar("bridge_unit_of_work", default=None)


def current_unit() -> UnitOfWork | None:
    """The unit of work of this context, or None outside one (or once it has ended)."""
    unit = _current.get()
    return None if unit is None or unit.finished else unit


def when_committed(action: Callable[[], object]) -> None:
    """Run ``action`` once the current unit of work has committed (never if it rolls back);
    at once outside a unit. For effects outside the database that announce a change, such as
    a notice e-mail: nobody hears of a change that was rolled back."""
    unit = current_unit()
    if unit is None:
        action()
    else:
        unit.after_commit(action)


def when_abandoned(action: Callable[[], object]) -> None:
    """Run ``action`` if the current unit of work is abandoned because a store did not answer
    (``UnitOfWork.abandon``: the request is answered 503 and did not happen). For a change
    outside the database that must not outlive the request, such as a lockout slot taken in
    the ephemeral store: the action gives it back, best effort. Nothing outside a unit."""
    unit = current_unit()
    if unit is not None:
        unit.on_abandon(action)


def abandon_current_unit() -> None:
    """Abandon the unit of work of this context, if any, also one whose commit just failed
    (see ``UnitOfWork.abandon``)."""
    unit = _current.get()
    if unit is not None:
        unit.abandon()


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, called once per unit of work for ``key``: a row that one request reads
    several times (the client at ``/authorize`` and again when its code is issued) costs one
    query. Outside a unit it is called every time. Whoever changes what ``key`` names inside
    a unit calls ``forget(key)``."""
    unit = current_unit()
    if unit is None:
        return load()
    if key not in unit.memo:
        unit.memo[key] = load()
    value: T = unit.memo[key]
    return value


def keep(key: Hashable, value: object) -> None:
    """Keep ``value`` for ``key`` in the current unit (nothing outside one): a fact one part of
    a request read on its way (the login's user and their organisations) that another part may
    ``recall`` instead of reading it again."""
    unit = current_unit()
    if unit is not None:
        unit.memo[key] = value


def recall(key: Hashable) -> Any:
    """What the current unit keeps for ``key`` (``keep`` or ``remembered``), or None; never
    loads anything."""
    unit = current_unit()
    return None if unit is None else unit.memo.get(key)


def forget(key: Hashable) -> None:
    """Drop what ``remembered`` keeps for ``key`` in the current unit, if anything."""
    unit = current_unit()
    if unit is not None:
        unit.memo.pop(key, None)


class UnitOfWork:
    """The connection, in one transaction, of each database used inside the unit.

    A connection is taken on first use, so a request that never touches the database costs
    nothing. ``enter``/``leave`` bind it to the context for hooks that cannot use ``with``
    (Flask's ``before_request`` and ``teardown_request``).
    """

    def __init__(self) -> None:
        self._connections: dict[Engine, Connection] = {}
        self._after_commit: list[Callable[[], object]] = []
        self._on_abandon: list[Callable[[], object]] = []
        self.memo: dict[Hashable, Any] = {}  # see ``remembered``
        self._token: Token[UnitOfWork | None] | None = None
        self._finished = False

    def enter(self) -> None:
        self._token = _current.set(self)

    def leave(self) -> None:
        """Unbind from the context; work not committed by now is rolled back."""
        try:
            self.rollback()
        finally:
            if self._token is not None:
                _current.reset(self._token)
                self._token = None

    @property
    def finished(self) -> bool:
        return self._finished

    def connection(self, engine: Engine) -> Connection:
        """The unit's connection to ``engine``, its transaction begun on first use."""
        if self._finished:
            raise RuntimeError("this unit of work has ended")
        connection = self._connections.get(engine)
        if connection is None:
            connection = engine.connect()
            connection.begin()
            self._connections[engine] = connection
        return connection

    def commit_now(self, engine: Engine) -> None:
        """Commit the work done so far on ``engine`` and go on in a new transaction.

        Only for a change that another request must be able to see before this one ends (the
        token endpoint's grant, see ``TokenService.open_grant``).
        """
        connection = self._connections.get(engine)
        if connection is not None and connection.in_transaction():
            connection.commit()
            connection.begin()

    def after_commit(self, action: Callable[[], object]) -> None:
        self._after_commit.append(action)

    def on_abandon(self, action: Callable[[], object]) -> None:
        self._on_abandon.append(action)

    def abandon(self) -> None:
        """A store did not answer: roll everything back, then run what was registered with
        ``when_abandoned``, latest first (outside the unit; a failure is logged, as the store
        it needs may be the one that is down). Neither store keeps a trace of the request
        that another request could take for something it did: a refresh token is not spent,
        a TOTP step or a recovery code not used, a lockout slot not taken."""
        actions, self._on_abandon = self._on_abandon, []
        self.rollback()
        for action in reversed(actions):
            try:
                action()
            except Exception as error:
                log.warning("could not undo a change of an abandoned request: %s", error)

    def commit(self) -> None:
        """Commit every connection and end the unit; on a failure the rest is rolled back.
        Then run what waited for the commit (outside the unit: its errors are logged)."""
        try:
            for connection in self._connections.values():
                if connection.in_transaction():
                    connection.commit()
        finally:
            self._close()  # a failed commit keeps what ``abandon`` would undo
        self._on_abandon = []
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                action()
            except Exception:
                log.exception("an action waiting for the commit failed")

    def rollback(self) -> None:
        """Roll every connection back and end the unit (nothing to do once it has ended);
        what waited for the commit is dropped."""
        self._after_commit = []
        self._on_abandon = []
        self._close()

    def _close(self) -> None:
        self._finished = True
        self.memo.clear()
        connections, self._connections = self._connections, {}
        for connection in connections.values():
            connection.close()  # rolls back what was not committed


@contextmanager
def unit_of_work(
    commit_on: tuple[type[BaseException], ...] = (),
) -> Iterator[UnitOfWork]:
    """Run the block as one unit of work: committed when it ends, rolled back on an error.

    ``commit_on`` names exceptions that are a handled outcome rather than a failure (the CLI's
    refusal messages): the work is committed and the exception goes on.
    """
    unit = UnitOfWork()
    unit.enter()
    try:
        yield unit
    except commit_on:
        unit.commit()
        raise
    except BaseException:
        unit.rollback()
        raise
    else:
        unit.commit()
    finally:
        unit.leave()
