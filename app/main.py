"""The FastAPI application factory. No work happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from app.commands.migrate import expected_schema
from app.errors import install_error_handlers
from app.limits import BodyLimits, PublicReportLimit
from app.maintenance import run_forever
from app.reads import ReadRouting, RecordWrites
from app.settings import Settings
from gis.events.feed import EventFeed
from gis.people import scope


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One pool per server process, opened before the first request is served. A
        # request waits at most pool_timeout_s for a connection, at most pool_max_waiting
        # of them at once (app/errors.py answers 503 beyond); every connection carries
        # the statement and lock timeouts. A lost database is reconnected to in the
        # background, so onemap recovers without a restart.
        connection = {
            "autocommit": True,
            "options": (
                f"-c statement_timeout={settings.statement_timeout_ms}"
                f" -c lock_timeout={settings.lock_timeout_ms}"
            ),
        }
        # The service connects as onemap_service, never as the owner (settings.py); a
        # connection given back forgets the caller it served (gis/people/scope.py).
        service_url = settings.service_url()
        pool = _request_pool(service_url, settings, connection)
        await pool.open(wait=True, timeout=30)
        app.state.pool = pool
        # The analyses (coverage, standards, the grid audit) are synchronous domain
        # functions, as notebooks and the CLI call them; their routes run on worker
        # threads with a connection from this pool. One kept open: the analyses are rare,
        # one at a time per caller, and bounded by analysis_pool_max_size.
        sync_pool = _analysis_pool(service_url, settings, connection)
        # One LISTEN connection per process feeds /api/v1/events/stream.
        feed = EventFeed(service_url)
        reads = _read_routing(settings, connection)
        sweeping: asyncio.Task[None] | None = None
        try:
            await run_in_threadpool(sync_pool.open, wait=True, timeout=30)
            app.state.sync_pool = sync_pool
            if reads is not None:
                # Not waited for: a standby down at start leaves its reads to the primary.
                await reads.pool.open(wait=False)
                await run_in_threadpool(reads.sync_pool.open, wait=False)
            app.state.read_routing = reads
            # what /readyz compares the database with
            app.state.expected_schema = await run_in_threadpool(expected_schema)
            await feed.start()
            app.state.event_feed = feed
            # the sweeps nobody should have to remember (app/maintenance.py)
            if settings.maintenance_interval_s > 0:
                sweeping = asyncio.create_task(run_forever(pool, settings.maintenance_interval_s))
            # The application's own objects live as long as the process: keep them out
            # of the cyclic collector's full passes, which otherwise stall requests.
            gc.freeze()
            yield
        finally:
            if sweeping is not None:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
            await feed.stop()
            if reads is not None:
                await run_in_threadpool(reads.sync_pool.close)
                await reads.pool.close()
            await run_in_threadpool(sync_pool.close)
            await pool.close()

    app = FastAPI(
        title="onemap",
        summary="One map (一张图) for party-led grid governance",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.read_routing = None
    install_error_handlers(app)
    # GeoJSON is mostly digits and repeated keys: a district's 15-minute areas shrink
    # from megabytes to a fraction on the wire. Level 5 keeps the CPU cost of a large
    # page modest on a small server; the event stream (text/event-stream) is left alone.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(PublicReportLimit, per_minute=settings.public_reports_per_minute)
    if settings.read_database_url:
        # a writing client is told where its write ended (read-your-writes, app/reads.py)
        app.add_middleware(RecordWrites, max_age_s=settings.read_your_writes_s)
    # Bodies are counted and read before anything else runs (app/limits.py).
    app.add_middleware(BodyLimits)
    # Outermost: a public tile's revalidation is answered before anything else runs.
    from app.ogc.tiles import TileRevalidation

    app.add_middleware(TileRevalidation)

    from app.ogc import router as ogc
    from app.ogc import tiles as ogc_tiles
    from app.routers import (
        access,
        audit,
        basemap,
        codes,
        event_stream,
        events,
        health,
        imports,
        indicators,
        open311,
        patrol_coverage,
        patrols,
        people,
        places,
        vocabulary,
        web,
    )

    # Before events: /api/v1/events/stream is not an event called "stream".
    app.include_router(event_stream.router)
    # Reports come in fastest: their router is matched first.
    for family in (
        events,
        ogc,
        ogc_tiles,
        web,
        basemap,
        codes,
        audit,
        imports,
        indicators,
        open311,
        access,
        patrol_coverage,
        patrols,
        people,
        places,
        health,
    ):
        app.include_router(family.router)
    app.include_router(vocabulary.router)  # before /static: its vocabulary.json is generated
    web.mount_static(app)
    return app


def _read_routing(settings: Settings, connection: dict[str, Any]) -> ReadRouting | None:
    """The standby's pools, when there is one (ONEMAP_READ_DATABASE_URL), sized as the
    primary's. Every connection is checked as it is handed out (one empty round trip): a
    standby restarted since leaves dead connections, and a read must fall back to the
    primary rather than fail on one."""
    read_url = settings.read_service_url()
    if read_url is None:
        return None
    pool = _request_pool(
        read_url, settings, connection, check=AsyncConnectionPool.check_connection, name="replica"
    )
    sync_pool = _analysis_pool(
        read_url,
        settings,
        connection,
        check=ConnectionPool.check_connection,
        name="replica-analyses",
    )
    return ReadRouting(pool, sync_pool)


def _request_pool(
    url: str, settings: Settings, connection: dict[str, Any], **options: Any
) -> AsyncConnectionPool:
    """The pool the requests draw from: sized by the settings, opened by the lifespan; a
    connection given back forgets the caller it served (gis/people/scope.py)."""
    return AsyncConnectionPool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_s,
        max_waiting=settings.pool_max_waiting,
        open=False,
        kwargs=connection,
        reset=scope.forget,
        **options,
    )


def _analysis_pool(
    url: str, settings: Settings, connection: dict[str, Any], **options: Any
) -> ConnectionPool:
    """The synchronous analyses' pool: one connection kept, analysis_pool_max_size at most."""
    return ConnectionPool(
        url,
        min_size=1,
        max_size=settings.analysis_pool_max_size,
        timeout=settings.pool_timeout_s,
        max_waiting=settings.pool_max_waiting,
        open=False,
        kwargs=connection,
        **options,
    )
