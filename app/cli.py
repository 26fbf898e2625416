"""The `onemap` command line: database, migrations, demo district and server."""

from __future__ import annotations

import json
import sys

import psycopg
import typer
from rich.console import Console

from app import exits
from app.commands import access as access_commands
from app.commands import audit as audit_commands
from app.commands import devdb
from app.commands import events as events_commands
from app.commands import grids as grids_commands
from app.commands import hotline as hotline_commands
from app.commands import imports as imports_commands
from app.commands import tokens as tokens_commands
from gis.errors import OnemapError

console = Console(stderr=True)
cli = typer.Typer(help="onemap: one map for party-led grid governance", no_args_is_help=True)
db_cli = typer.Typer(
    help="The project-local PostgreSQL/PostGIS cluster (.onemap/)", no_args_is_help=True
)
demo_cli = typer.Typer(help="The synthetic demo district", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(tokens_commands.app, name="tokens")
cli.add_typer(audit_commands.app, name="audit")
cli.add_typer(events_commands.app, name="events")
cli.add_typer(grids_commands.app, name="grids")
cli.add_typer(access_commands.app, name="access")
cli.command("import")(imports_commands.import_command)
cli.command("import-events")(hotline_commands.import_events)


@db_cli.command("start")
def db_start() -> None:
    """Initialise (once) and start the local cluster; idempotent."""
    try:
        dsn = devdb.start()
    except OnemapError as error:
        exits.fail(error, exits.FAILED)
    console.print(f"database running: {dsn}")


@db_cli.command("stop")
def db_stop() -> None:
    """Stop the local cluster; idempotent."""
    try:
        devdb.stop()
    except OnemapError as error:
        exits.fail(error, exits.FAILED)
    console.print("database stopped")


@db_cli.command("status")
def db_status() -> None:
    """Print the cluster's state as JSON; exit 3 when it is not running."""
    state = devdb.status()
    print(json.dumps(state, indent=2))
    if not state["running"]:
        raise typer.Exit(exits.DATABASE)


@db_cli.command("url")
def db_url() -> None:
    """Print the DSN the project uses (ONEMAP_DATABASE_URL if set)."""
    from gis.db import database_url

    print(database_url())


@cli.command()
def migrate(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply migrations/ to the database, from empty to head, then the function files."""
    from app.commands.migrate import upgrade

    try:
        applied = upgrade(revision=revision)
    except Exception as error:
        exits.fail(error, exits.FAILED)
    console.print(f"migrated to {revision}; function files applied: {len(applied)}")


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(1, help="server processes"),
) -> None:
    """Run the HTTP API and dashboard with uvicorn."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)


@demo_cli.command("load")
def demo_load(
    scale: str = typer.Option("district", help="district (≈418 grids) or city (≈6,764 grids)"),
    seed: int = typer.Option(2024, help="random seed: the same seed gives the same district"),
) -> None:
    """Replace the database's places and activity with a generated demo district."""
    from app.commands.progress import StepProgress
    from gis import demo
    from gis.db import connect

    if scale not in demo.SCALES:
        exits.fail(f"--scale must be one of {', '.join(demo.SCALES)}, not {scale!r}", exits.USAGE)
    try:
        with connect() as conn, StepProgress(demo.load_steps()) as bar:
            summary = demo.load(conn, scale=scale, seed=seed, progress=bar)
    except (OnemapError, psycopg.Error) as error:
        exits.fail(error, exits.FAILED)
    for table, count in summary.items():
        console.print(f"{table:>16}: {count:,}")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(exits.INTERRUPTED)
