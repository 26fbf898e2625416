"""Fixtures: a real PostGIS (the project-local cluster unless ONEMAP_TEST_ADMIN_URL names
another), a fresh migrated database per test session, the demo district loaded once, and
a real uvicorn server for clients that speak HTTP (GDAL, ogctests, Chromium)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from app.commands import devdb
from app.commands.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
DEMO_SEED = 7


def _admin_url() -> str:
    configured = os.environ.get("ONEMAP_TEST_ADMIN_URL")
    if configured:
        return configured
    # A missing database fails the suite rather than skipping it: start the local cluster.
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


def _with_database(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def _database(admin_url: str, name: str, template: str | None = None) -> Iterator[str]:
    """Create a database (optionally copied from ``template``), yield its URL, drop it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """The session's database, migrated to head; dropped at the end of the session."""
    with _database(admin_url, f"onemap_test_{os.getpid()}") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def migrated_template(admin_url: str) -> Iterator[str]:
    """Name of a migrated, empty database to copy scratch databases from."""
    name = f"onemap_template_{os.getpid()}"
    with _database(admin_url, name) as url:
        upgrade(url)
        yield name


_scratch_serial = iter(range(1, 1_000_000))


@pytest.fixture
def scratch_database(admin_url: str, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test (planted cases, imports), copied
    from the template in a fraction of a second; dropped afterwards."""
    name = f"onemap_scratch_{os.getpid()}_{next(_scratch_serial)}"
    with _database(admin_url, name, template=migrated_template) as url:
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def server(database_url: str, demo_district: dict[str, int]) -> Iterator[str]:
    """A real uvicorn process serving the demo district; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "ONEMAP_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/ogc", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"onemap server did not start on {base}")
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def client(database_url: str, demo_district: dict[str, int]) -> Iterator[object]:
    """An in-process client of the app (lifespan included) on the demo district."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as test_client:
        yield test_client
