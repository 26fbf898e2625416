"""`onemap import LAYER FILE`: validated, all-or-nothing imports of places."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from app import exits
from gis.db import database_url
from gis.errors import InvalidParameter
from gis.imports.problems import ImportRejected

console = Console(stderr=True)

# Spelled here so that `onemap --help` does not load GeoPandas and GDAL.
LAYERS = (
    "districts, subdistricts, communities, grids, compounds, buildings, service_centers; "
    "or all: every layer of a GeoPackage named so, parents first, in one transaction; "
    "or osm: the county's walking network from an OpenStreetMap .osm.pbf; "
    "or patrols: a team's tracks from GPX or GeoJSON with times (--team)"
)
OSM = "osm"
PATROLS = "patrols"


def import_command(
    layer: str = typer.Argument(..., help=LAYERS),
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="GeoJSON (FeatureCollection or bare array), GeoPackage, zipped Shapefile or CSV;"
        " for osm an .osm.pbf",
    ),
    crs: str | None = typer.Option(
        None, "--crs", help="CRS of the coordinates: EPSG:nnnn, or gcj02 (Chinese web maps)"
    ),
    layer_name: str | None = typer.Option(
        None, "--layer", help="the GeoPackage layer (or Shapefile in a zip) to read"
    ),
    repair: bool = typer.Option(
        False, "--repair", help="fix invalid polygons with ST_MakeValid and report each fix"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="check and report, write nothing"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
    progress: bool = typer.Option(True, help="show progress bars on stderr"),
    county: str | None = typer.Option(
        None, "--county", help="osm: the network's county (default: ONEMAP_COUNTY_CODE)"
    ),
    replace: bool = typer.Option(
        False, "--replace", help="osm: replace the county's walking network, in one transaction"
    ),
    team: str | None = typer.Option(None, "--team", help="patrols: the team's code"),
) -> None:
    """Import places from FILE into LAYER, all or nothing.

    Every record is checked (geometry, codes, nesting in the parent unit, duplicates)
    before anything is written; any problem refuses the whole file and names every
    offending record. Exit codes: 0 imported (or dry run passed), 1 refused, 2 usage error.
    """
    if layer == PATROLS:
        from app.commands.patrols import import_patrols
        from app.settings import Settings

        options = {"--crs": crs, "--layer": layer_name, "--repair": repair, "--replace": replace}
        misplaced = [option for option, value in options.items() if value]
        if misplaced:
            exits.fail(f"{', '.join(misplaced)}: not an option of patrols", exits.USAGE)
        import_patrols(file, team, county or Settings().county_code, dry_run, as_json)
        return
    if team:
        exits.fail("--team is an option of patrols only", exits.USAGE)
    if layer == OSM:
        options = {"--crs": crs, "--layer": layer_name, "--repair": repair}
        _import_osm(file, county, replace, dry_run, as_json, progress, options)
        return
    if county or replace:
        exits.fail("--county and --replace are options of osm only", exits.USAGE)
    try:
        report = asyncio.run(
            _run(layer, file, crs, layer_name, repair, dry_run, progress and not as_json)
        )
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except ImportRejected as rejected:
        if as_json:
            print(json.dumps(rejected.report, ensure_ascii=False, indent=2))
        else:
            _print_problems(rejected)
        raise typer.Exit(exits.REFUSED) from None
    except psycopg.OperationalError as error:
        exits.fail(f"database: {error}", exits.FAILED)
    if not dry_run:
        _log_import(layer, file, crs=crs, layer_name=layer_name, repair=repair)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not dry_run and layer in ("service_centers", "all"):
        refresh_areas(progress and not as_json, quiet=as_json)


def _log_import(layer: str, file: Path, **options: Any) -> None:
    """The import in the admin log, once it has committed."""
    from gis.db import connect
    from gis.people import admin_log

    with connect() as conn:
        admin_log.record_command(
            conn,
            "import",
            actor=getpass.getuser(),
            target=layer,
            detail={"file": file.name, "bytes": file.stat().st_size, **options},
        )


def refresh_areas(progress: bool, *, quiet: bool = False) -> None:
    """Recompute the service areas the import made stale (new or moved centres, a new
    network), after the import has committed. If this fails the import still stands and
    the centres stay queued: every coverage answer says so until `onemap access compute`
    runs."""
    import os

    from app.commands.progress import StepProgress
    from app.settings import Settings
    from gis.access import refresh_service_areas, service_areas

    settings = Settings()
    try:
        with (
            psycopg.connect(database_url(), autocommit=True) as conn,
            StepProgress(service_areas.STEPS, enabled=progress) as bar,
        ):
            run = refresh_service_areas(
                conn,
                speed_kmh=settings.walking_speed_kmh,
                buffer_m=settings.service_area_buffer_m,
                progress=bar,
                workers=os.cpu_count() or 1,
            )
    except psycopg.Error as error:
        console.print(
            f"[yellow]warning:[/yellow] service areas not recomputed ({error}); the centres"
            " stay queued: run onemap access compute"
        )
        return
    if run.centres and not quiet:
        console.print(
            f"service areas recomputed for {run.centres:,} centres ({run.areas:,} areas,"
            f" {run.seconds:.1f} s)"
            + (
                f"; {run.straight_line_centres:,} as straight-line circles: no walking network"
                if run.straight_line_centres
                else ""
            )
        )


async def _run(
    layer: str,
    file: Path,
    crs: str | None,
    layer_name: str | None,
    repair: bool,
    dry_run: bool,
    progress: bool,
) -> dict[str, Any]:
    from app.commands.progress import ImportProgress
    from gis import imports

    if layer != imports.PACKAGE:
        imports.layer_named(layer)  # a usage error before connecting
    async with await psycopg.AsyncConnection.connect(database_url()) as conn:
        with ImportProgress(enabled=progress) as bar:
            if layer == imports.PACKAGE:
                return await imports.import_package(
                    conn, file, crs=crs, repair=repair, dry_run=dry_run, progress=bar
                )
            return await imports.import_file(
                conn,
                layer,
                file,
                crs=crs,
                layer_name=layer_name,
                repair=repair,
                dry_run=dry_run,
                progress=bar,
            )


def _print_problems(rejected: ImportRejected) -> None:
    report = rejected.report
    table = Table(title=f"{report.get('file', 'file')}: refused, nothing written")
    for column in ("record", "key", "field", "problem"):
        table.add_column(column, overflow="fold")
    for problem in rejected.problems:
        table.add_row(problem.record, problem.key or "", problem.field or "", problem.problem)
    console.print(table)
    console.print(f"[red]{len(rejected.problems)} problem(s)[/red]; nothing was written")


def _print_report(report: dict[str, Any]) -> None:
    for layer_report in report.get("layers", []):
        _print_report(layer_report)
    if "layers" in report:
        return
    for repair in report["repairs"]:
        console.print(
            f"repaired {repair['record']} ({repair['key']}): was invalid: {repair['reason']}"
        )
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    assigned = len(report["codes_assigned"])
    verb = "would import" if report["dry_run"] else "imported"
    console.print(
        f"{verb} {report['records']:,} {report['layer']} from {report['file']} "
        f"({report['format']}, {report['source_crs']}): {report['inserted']:,} new, "
        f"{report['updated']:,} updated"
        + (f", {assigned:,} building codes assigned" if assigned else "")
        + (", nothing written (dry run)" if report["dry_run"] else "")
    )


def _import_osm(
    file: Path,
    county: str | None,
    replace: bool,
    dry_run: bool,
    as_json: bool,
    progress: bool,
    options: dict[str, object],
) -> None:
    """The walking network from an OpenStreetMap file (gis/access): exit 0 built, 1 bad
    input or the county has a network and no --replace, 2 usage error."""
    from app.commands.progress import StepProgress
    from app.settings import Settings
    from gis.access import network
    from gis.codes import InvalidCode

    misplaced = [option for option, value in options.items() if value]
    if misplaced:
        exits.fail(f"{', '.join(misplaced)}: not an option of osm", exits.USAGE)
    try:
        with (
            psycopg.connect(database_url(), autocommit=True) as conn,
            StepProgress(
                network.STEPS, enabled=progress and not as_json, failed="failed, nothing written"
            ) as bar,
        ):
            summary = network.import_osm(
                conn,
                file,
                county_code=county or Settings().county_code,
                replace=replace,
                dry_run=dry_run,
                progress=bar,
            )
    except InvalidCode as error:
        exits.fail(f"--county: {error}", exits.USAGE)
    except (network.NetworkInputError, network.NetworkExists) as error:
        exits.fail(f"{error}; nothing was written", exits.REFUSED)
    except psycopg.OperationalError as error:
        exits.fail(f"database: {error}", exits.FAILED)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2))
        return
    verb = "would build" if dry_run else "built"
    console.print(
        f"{verb} the walking network of county {summary.county_code} from {file}: "
        f"{summary.nodes:,} nodes, {summary.edges:,} edges, {summary.components:,} "
        f"components (the largest holds {summary.largest_component_share:.1%} of the edges), "
        f"{summary.length_km:,.1f} km"
        + (
            f"; {'would replace' if dry_run else 'replaced'} {summary.replaced_edges:,} edges"
            if summary.replaced_edges
            else ""
        )
        + ("; nothing written (dry run)" if dry_run else "")
    )
    if not dry_run:
        refresh_areas(progress)
