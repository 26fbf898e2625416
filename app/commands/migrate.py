"""Apply the schema migrations in migrations/ (alembic) to a database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.commands.devdb import project_root
from gis.db import database_url, sqlalchemy_url


def alembic_config(dsn: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(project_root(), "migrations")))
    # '%' would be read as interpolation by configparser.
    config.set_main_option(
        "sqlalchemy.url", sqlalchemy_url(dsn or database_url()).replace("%", "%%")
    )
    return config


def upgrade(dsn: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(dsn), revision)


def downgrade(dsn: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(dsn), revision)
