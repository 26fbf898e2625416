"""`onemap serve` starts only as many processes as the database has connections for."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli
from app.commands.capacity import COMMAND_LINE_MARGIN, capacity
from app.settings import Settings


def test_processes_must_fit_the_databases_connections(database_url):
    settings = Settings(database_url=database_url)
    one = capacity(settings, 1)
    # request pool, analyses' pool, the live feed's LISTEN connection
    assert one.per_process == settings.pool_max_size + settings.analysis_pool_max_size + 1
    assert one.available == one.max_connections - one.reserved - COMMAND_LINE_MARGIN
    most = one.available // one.per_process
    assert capacity(settings, most).fits and not capacity(settings, most + 1).fits


def test_serve_refuses_processes_that_would_not_fit(database_url):
    settings = Settings(database_url=database_url)
    too_many = capacity(settings, 1).available // settings.connections_per_process() + 1
    result = CliRunner().invoke(
        cli,
        ["serve", "--port", "1", "--workers", str(too_many)],
        env={"ONEMAP_DATABASE_URL": database_url},
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "would not fit the database's connections" in said
    assert f"{too_many} process(es) × 55 connections" in said
