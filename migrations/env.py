"""Alembic environment: plain SQL migrations, each in one transaction."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gis.db import sqlalchemy_url

config = context.config
url = config.get_main_option("sqlalchemy.url") or sqlalchemy_url()

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
