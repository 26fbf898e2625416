"""`onemap serve` sweeps by itself: overdue events are escalated and old idempotency keys
deleted without anyone running `onemap events escalate`, by one process at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.maintenance import LOCK_KEY, sweep
from app.settings import Settings
from gis.events import intake
from gis.events.stages import PUBLIC
from tests.planters.event_places import IN_WEST_SOUTH, T0, planted_database, run


@pytest.fixture
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "maintenance") as (database, _tokens):
        yield database


def _overdue_report(url: str) -> int:
    # 0801 消防通道堵塞: due within 24 h of T0, long past
    made = run(
        url,
        lambda conn: intake.create(
            conn,
            intake.Report(category="0801", description="x", point=IN_WEST_SOUTH),
            actor=PUBLIC,
            reported_at=T0,
        ),
    )
    return made.event_id


def _level(url: str, event_id: int) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT escalation_level FROM events WHERE event_id = %s", (event_id,)
        ).fetchone()[0]


def test_the_server_escalates_and_prunes_on_its_own(url):
    event_id = _overdue_report(url)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO idempotency_keys (scope, idempotency_key, county_code, request_sha256,"
            " event_id, status_code, response, created_at)"
            " VALUES ('public', 'old-key', '450105', repeat('0', 64), %s, 201, '{}',"
            " now() - interval '10 days')",
            (event_id,),
        )
    assert _level(url, event_id) == 0
    settings = Settings(database_url=url, pool_max_size=2, maintenance_interval_s=0.2)
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _level(url, event_id) < 2:
            time.sleep(0.2)
    assert _level(url, event_id) == 2  # 社区站 → 街道分中心 → 城区中心, both deadlines past
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys").fetchone() == (0,)


def test_one_process_at_a_time(url):
    """While another session holds the lock, a sweep does nothing."""
    from psycopg_pool import AsyncConnectionPool

    _overdue_report(url)

    async def sweep_once() -> tuple[int, int, int] | None:
        async with AsyncConnectionPool(url, min_size=1, kwargs={"autocommit": True}) as pool:
            return await sweep(pool)

    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        assert asyncio.run(sweep_once()) is None
        other.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert asyncio.run(sweep_once()) == (1, 0, 0)
