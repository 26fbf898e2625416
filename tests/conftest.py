"""Fixtures: a real PostGIS (the project-local cluster unless ONEMAP_TEST_ADMIN_URL names
another), a fresh migrated database per test session, the demo district loaded once, and
a real uvicorn server for clients that speak HTTP (GDAL, ogctests, Chromium)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from app.commands import devdb
from app.commands.launch import served
from app.commands.migrate import upgrade
from tests.planters.databases import database

DEMO_SEED = 7
# The suite posts many reports from one address (the test client, localhost): the limit
# on anonymous reports is off for every app and server it starts, except where a test
# turns it on (tests/app/test_limits.py).
os.environ.setdefault("ONEMAP_PUBLIC_REPORTS_PER_MINUTE", "0")
# Nor may a server's own sweeps escalate the demo's events under a test's feet: off, but
# where a test turns them on (tests/app/test_maintenance.py).
os.environ.setdefault("ONEMAP_MAINTENANCE_INTERVAL_S", "0")


def _admin_url() -> str:
    configured = os.environ.get("ONEMAP_TEST_ADMIN_URL")
    if configured:
        return configured
    # A missing database fails the suite rather than skipping it: start the local cluster.
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """The session's database, migrated to head; dropped at the end of the session."""
    with database(admin_url, f"onemap_test_{os.getpid()}") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def migrated_template(admin_url: str) -> Iterator[str]:
    """Name of a migrated, empty database to copy scratch databases from."""
    name = f"onemap_template_{os.getpid()}"
    with database(admin_url, name) as url:
        upgrade(url)
        yield name


_scratch_serial = iter(range(1, 1_000_000))


@pytest.fixture
def scratch_database(admin_url: str, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test (planted cases, imports), copied
    from the template in a fraction of a second; dropped afterwards."""
    name = f"onemap_scratch_{os.getpid()}_{next(_scratch_serial)}"
    with database(admin_url, name, template=migrated_template) as url:
        yield url


@pytest.fixture(scope="session")
def demo_district(database_url: str) -> dict[str, int]:
    """The district-scale demo, loaded once per session with a fixed seed."""
    from gis import demo

    with psycopg.connect(database_url) as conn:
        return demo.load(conn, scale="district", seed=DEMO_SEED)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as conn:
        yield conn
        conn.rollback()


@pytest.fixture(scope="session")
def server(database_url: str, demo_district: dict[str, int]) -> Iterator[str]:
    """A real uvicorn process serving the demo district; yields its base URL."""
    with served(database_url) as base:
        yield base


@pytest.fixture(scope="session")
def client(database_url: str, demo_district: dict[str, int]) -> Iterator[object]:
    """An in-process client of the app (lifespan included) on the demo district."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def analyst(database_url: str, demo_district: dict[str, int]) -> dict[str, str]:
    """Headers with an auditor's token on the demo district: the analyses (siting, the
    grid audit) need a token."""
    from gis import tokens

    with psycopg.connect(database_url) as conn:
        secret = tokens.create(conn, name="test analyst", role="auditor")
    return {"Authorization": f"Bearer {secret}"}
