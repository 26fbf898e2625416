"""Reads from a streaming replica, writes to the primary (docs/replica.md).

With ``ONEMAP_READ_DATABASE_URL`` set, the feature and analysis reads take their connection
from a second pool on a hot standby (:class:`ReadRouting`); everything else stays on the
primary. A standby is a little behind the primary, so a client that has just written is
told the primary's WAL position after its write (:class:`RecordWrites`: a cookie and a
header) and reads from the primary until the standby has replayed that far: it always
sees its own writes. Anyone else may read a moment's old data, as from any cache.

A client can only choose, by what it sends back, between the standby and the primary for
its own reads, which both answer under the same row-level security: a forged position at
worst sends that client's reads to the primary. A standby that cannot be reached is left
alone for a few seconds, its reads answered by the primary meanwhile, never refused.
"""

from __future__ import annotations

import logging
import math
import time

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("onemap.reads")

# What the client sends back: the cookie (browsers) or the header (API clients).
WROTE_COOKIE = "onemap_wrote_lsn"
WROTE_HEADER = "onemap-wrote-lsn"
# Methods that do not write: they get no position.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long the standby's replay position is taken as known before it is asked again.
# A standby replays a write within milliseconds of its commit: a few ms of staleness
# costs a caught-up client at most that long on the primary.
REPLAY_REFRESH_S = 0.005
# How long a read waits for a standby connection before the primary answers it, and how
# long a standby found unreachable is left alone before one read tries it again.
REPLICA_WAIT_S = 1.0
REPLICA_RETRY_S = 5.0


def parse_lsn(text: str | None) -> int | None:
    """A WAL position as PostgreSQL writes it (``16/B374D848``) as a number; None for
    anything else."""
    if not text:
        return None
    high, slash, low = text.strip().partition("/")
    if not slash or not (0 < len(high) <= 8 and 0 < len(low) <= 8):
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def wrote_position(request: HTTPConnection) -> int | None:
    """The furthest WAL position the client says it wrote at (cookie or header)."""
    given = (
        parse_lsn(request.cookies.get(WROTE_COOKIE)),
        parse_lsn(request.headers.get(WROTE_HEADER)),
    )
    known = [position for position in given if position is not None]
    return max(known) if known else None


class ReadRouting:
    """The standby's pools and what this process knows of the standby: how far it has
    replayed (refreshed at most every REPLAY_REFRESH_S) and whether it is reachable.

    Used from the event loop and from worker threads alike: the state is a few numbers,
    each written whole; a race costs at most one extra question to the standby."""

    def __init__(self, pool: AsyncConnectionPool, sync_pool: ConnectionPool) -> None:
        self.pool = pool
        self.sync_pool = sync_pool
        self._replayed = 0
        self._asked_at = -math.inf
        self._down = False
        self._retry_at = 0.0

    def _may_try(self) -> bool:
        if not self._down:
            return True
        now = time.monotonic()
        if now < self._retry_at:
            return False
        # this read tries the standby again; the others meanwhile stay on the primary
        self._retry_at = now + REPLICA_RETRY_S
        return True

    def mark_down(self, error: BaseException) -> None:
        if not self._down:
            log.warning("read replica unreachable, reads go to the primary: %s", error)
        self._down = True
        self._retry_at = time.monotonic() + REPLICA_RETRY_S

    def _not_had(self, pool: AsyncConnectionPool | ConnectionPool, error: BaseException) -> None:
        """No standby connection came in time: the standby is down unless the pool is
        full (every connection busy: this read goes to the primary, the next may not)."""
        if pool.get_stats().get("pool_size", 0) < (pool.max_size or 0):
            self.mark_down(error)

    def gone(self, conn: AsyncConnection | psycopg.Connection, error: BaseException) -> None:
        """A read on the standby failed: the standby is down if the connection is lost
        (not for a statement that timed out)."""
        if conn.broken or conn.closed:
            self.mark_down(error)

    def _mark_up(self) -> None:
        if self._down:
            log.warning("read replica reachable again: reads go to it")
        self._down = False

    def _known_caught_up(self, wrote: int | None) -> bool | None:
        """True: the standby has replayed the write; False: not as of a moment ago; None:
        ask it."""
        if wrote is None or wrote <= self._replayed:
            return True
        if time.monotonic() - self._asked_at < REPLAY_REFRESH_S:
            return False
        return None

    def _note_replayed(self, row: tuple[str | None] | None) -> None:
        # NULL: the server is no standby (a misconfigured URL): nothing is ever caught up
        position = parse_lsn(row[0]) if row else None
        self._replayed = max(self._replayed, position or 0)
        self._asked_at = time.monotonic()

    async def connection(self, wrote: int | None) -> AsyncConnection | None:
        """A standby connection when the standby may answer a client that wrote at
        ``wrote``; None: the primary answers."""
        if not self._may_try():
            return None
        known = self._known_caught_up(wrote)
        if known is False:
            return None
        try:
            conn = await self.pool.getconn(timeout=REPLICA_WAIT_S)
        except (PoolTimeout, psycopg.OperationalError) as error:
            self._not_had(self.pool, error)
            return None
        if known is None:
            try:
                cursor = await conn.execute("SELECT pg_last_wal_replay_lsn()::text")
                self._note_replayed(await cursor.fetchone())
            except psycopg.OperationalError as error:
                await self.pool.putconn(conn)
                self.mark_down(error)
                return None
            if wrote is not None and wrote > self._replayed:
                await self.pool.putconn(conn)
                return None
        self._mark_up()
        return conn

    def sync_connection(self, wrote: int | None) -> psycopg.Connection | None:
        """:meth:`connection` for the synchronous analyses (worker threads)."""
        if not self._may_try():
            return None
        known = self._known_caught_up(wrote)
        if known is False:
            return None
        try:
            conn = self.sync_pool.getconn(timeout=REPLICA_WAIT_S)
        except (PoolTimeout, psycopg.OperationalError) as error:
            self._not_had(self.sync_pool, error)
            return None
        if known is None:
            try:
                self._note_replayed(
                    conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
                )
            except psycopg.OperationalError as error:
                self.sync_pool.putconn(conn)
                self.mark_down(error)
                return None
            if wrote is not None and wrote > self._replayed:
                self.sync_pool.putconn(conn)
                return None
        self._mark_up()
        return conn


class RecordWrites:
    """After a request that may have written (any method but GET, HEAD and OPTIONS), give
    the client the primary's WAL position: everything the request committed lies before
    it. It comes back with the client's reads (cookie ``onemap_wrote_lsn``, or the header
    ``Onemap-Wrote-Lsn`` for API clients), which the standby answers only once it has
    replayed that far.

    The position is asked on the request's own primary connection, still held while the
    answer starts (app/deps.py keeps it in ``request.state.writer``): a write costs one
    round trip more, never a second connection. A request that held none wrote nothing
    (every route that writes takes its connection from app/deps.py) and gets no position;
    nor does a 5xx, from a database that may be down."""

    def __init__(self, app: ASGIApp, max_age_s: int) -> None:
        self.app = app
        self.max_age_s = max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        # request.state lives in this dict: made here, it is the one the routes write
        state = scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 500:
                position = await self._position(state.get("writer"))
                if position is not None:
                    message["headers"] = [*message.get("headers", []), *self._told(scope, position)]
            await send(message)

        await self.app(scope, receive, sending)

    async def _position(self, writer: AsyncConnection | None) -> str | None:
        if writer is None or writer.closed:
            return None
        try:
            cursor = await writer.execute("SELECT pg_current_wal_lsn()::text")
            row = await cursor.fetchone()
        except psycopg.Error as error:
            log.warning("no WAL position for the writing client: %s", error)
            return None
        return row[0] if row else None

    def _told(self, scope: Scope, position: str) -> list[tuple[bytes, bytes]]:
        # written out by hand: http.cookies would quote the slash of the position
        cookie = (
            f"{WROTE_COOKIE}={position}; Max-Age={self.max_age_s}; Path=/; HttpOnly;"
            " SameSite=Strict"
        )
        if scope.get("scheme") == "https":
            cookie += "; Secure"
        return [(b"set-cookie", cookie.encode()), (WROTE_HEADER.encode(), position.encode())]
