"""Connections: one place that knows where the database is."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# Where `onemap db start` puts the project-local cluster (app/commands/devdb.py): this
# library only needs to know the address, not how the cluster is run.
LOCAL_PORT = 54329
LOCAL_DATABASE = "onemap"
LOCAL_SUPERUSER = "onemap"
# The role the HTTP service connects as (migration 0013): owns nothing, bound by
# row-level security.
SERVICE_ROLE = "onemap_service"


def local_port() -> int:
    """The project-local cluster's port: ``ONEMAP_DB_PORT``, else 54329."""
    return int(os.environ.get("ONEMAP_DB_PORT", LOCAL_PORT))


def local_url() -> str:
    """DSN of the project-local cluster."""
    return f"postgresql://{LOCAL_SUPERUSER}@127.0.0.1:{local_port()}/{LOCAL_DATABASE}"


def database_url() -> str:
    """``ONEMAP_DATABASE_URL`` if set, else the project-local cluster's DSN."""
    return os.environ.get("ONEMAP_DATABASE_URL") or local_url()


def sqlalchemy_url(dsn: str | None = None) -> str:
    """The same DSN spelled for SQLAlchemy with the psycopg 3 driver."""
    dsn = dsn or database_url()
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {dsn!r}")


@contextmanager
def connect(dsn: str | None = None, **kwargs: object) -> Iterator[psycopg.Connection]:
    """A psycopg connection for notebooks and the CLI; committed on success."""
    with psycopg.connect(dsn or database_url(), **kwargs) as conn:  # type: ignore[arg-type]
        yield conn
