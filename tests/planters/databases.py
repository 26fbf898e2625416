"""Databases for the tests: created (optionally copied from a migrated template), handed
out by URL, dropped afterwards, on the suite's PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def url_of(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server ``admin_url`` points at."""
    return admin_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def database(admin_url: str, name: str, template: str | None = None) -> Iterator[str]:
    """Create a database (optionally copied from ``template``), yield its URL, drop it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield url_of(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
