"""`onemap grids`: the crosswalk from the seven old grid systems (多网合一) and grid
delineation (划网定格) for planners.

Exit codes: 0 done; 1 the input was refused (a bad legacy file, an unknown community, a
proposal that cannot be applied) or the database failed; 2 a usage error (an unknown
system, CRS or output format, a malformed community code).
"""

from __future__ import annotations

import csv
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from app import exits
from app.commands.progress import TaskSteps
from gis.codes import InvalidCode
from gis.errors import InvalidParameter, NotFound

app = typer.Typer(
    help="Grids: crosswalk from the old systems (多网合一), delineation (划网定格)",
    no_args_is_help=True,
)
console = Console(stderr=True)
stdout = Console()

OUT_FORMATS = (".json", ".csv")


@contextmanager
def _steps(enabled: bool) -> Iterator[TaskSteps]:
    """A progress display on stderr; yields the steps told to it (gis.progress.Progress)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<36}"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
        transient=True,
    ) as bar:
        yield TaskSteps(bar, bar.add_task("starting", total=None))


@app.command("crosswalk")
def crosswalk_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="the old system's grids: GeoJSON, GeoPackage, zipped Shapefile or CSV with WKT",
    ),
    system: str = typer.Option(
        ..., "--system", help="党建, 综治, 民政, 城管, 信访, 应急管理 or 防疫 (or English names)"
    ),
    id_field: str | None = typer.Option(
        None, "--id-field", help="column with the legacy grid id (default: id, code, 编码, …)"
    ),
    crs: str | None = typer.Option(
        None, "--crs", help="CRS of the file's coordinates: EPSG:nnnn, or gcj02"
    ),
    layer_name: str | None = typer.Option(None, "--layer", help="GeoPackage layer to read"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
    out: Path | None = typer.Option(None, "--out", help="write the report to .json or .csv"),
) -> None:
    """Map an old system's grids onto the unified grids and communities.

    For each unified grid, the legacy grids in it with shares of area both ways; for each
    legacy grid, the unified grids and communities it falls in, whether it is split
    across communities, and its part outside every unified grid. Nothing is written to
    the database.
    """
    from gis.db import connect
    from gis.grids.crosswalk import LegacyLayerError, crosswalk, system_name
    from gis.imports.problems import ImportRejected

    if out is not None and out.suffix.lower() not in OUT_FORMATS:
        exits.fail(f"--out must end in {' or '.join(OUT_FORMATS)}, not {out.name!r}", exits.USAGE)
    try:
        chinese = system_name(system)
    except InvalidParameter as error:
        exits.fail(str(error), exits.USAGE)
    try:
        with _steps(not as_json) as steps:
            steps.step(f"reading {file.name}")
            legacy = _read_legacy(file, crs, layer_name)
            steps.step(f"cross-walking {len(legacy)} {chinese} grids")
            with connect() as conn:
                report = crosswalk(conn, legacy, system=chinese, id_field=id_field)
    except InvalidParameter as error:
        exits.fail(str(error), exits.USAGE)
    except ImportRejected as rejected:
        for problem in rejected.problems:
            console.print(f"  {problem}")
        exits.fail(f"{file.name}: {rejected}", exits.REFUSED)
    except LegacyLayerError as error:
        for problem in error.problems:
            console.print(f"  {problem}")
        exits.fail(f"{file.name}: {error}", exits.REFUSED)
    except psycopg.Error as error:
        exits.fail(f"database: {error}", exits.FAILED)
    data = report.as_dict()
    if out is not None:
        _write_report(out, data, report.csv_rows())
        console.print(f"report written to {out}")
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_crosswalk(data)


def _read_legacy(file: Path, crs: str | None, layer_name: str | None) -> Any:
    """Read the legacy layer with gis.imports._readers (the project's readers, which name each bad
    record) and bring it to EPSG:4326 with gis.crs; the index holds record labels."""
    import geopandas as gpd

    from gis.crs import STORAGE_SRID, WGS84, parse_crs, to_storage
    from gis.imports import read_table
    from gis.imports.problems import ImportRejected, Problem

    table = read_table(file, layer_name=layer_name, name=file.name)
    if table.problems:
        raise ImportRejected(table.problems)
    if len(table) == 0:
        raise ImportRejected([Problem("file", "the file holds no grids")])
    if crs is not None:
        source = parse_crs(crs, parameter="--crs")
    elif table.crs is not None:
        source = table.crs
    else:
        source = parse_crs(WGS84)
    columns = list(dict.fromkeys(table.columns))
    records = [dict(properties) for properties in table.properties]
    if "id" not in columns and any(feature_id is not None for feature_id in table.ids):
        # a GeoJSON Feature's own "id" member serves as the grid id
        columns.insert(0, "id")
        for record, feature_id in zip(records, table.ids, strict=True):
            record["id"] = feature_id
    frame = gpd.GeoDataFrame(
        [{column: record.get(column) for column in columns} for record in records],
        columns=columns,
        geometry=list(to_storage(table.geometry_array(), source)),
        crs=STORAGE_SRID,
    )
    frame.index = table.labels
    return frame


def _write_report(out: Path, data: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from gis.grids.crosswalk import CSV_COLUMNS

    if out.suffix.lower() == ".csv":
        with out.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
    else:
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _print_crosswalk(data: dict[str, Any]) -> None:
    summary = data["summary"]
    legacy = Table(title=f"{data['system']} grids → unified grids (id field {data['id_field']})")
    for column in ("legacy id", "area m²", "unified grids (share of legacy / of grid)"):
        legacy.add_column(column)
    legacy.add_column("communities")
    legacy.add_column("flags")
    for grid in data["legacy_grids"]:
        parts = ", ".join(
            f"{p['grid_code']} {_percent(p['share_of_legacy'])}/{_percent(p['share_of_grid'])}"
            for p in grid["grids"]
            if not p["sliver"]
        )
        communities = ", ".join(
            f"{c['community_code']} {_percent(c['share_of_legacy'])}"
            for c in grid["communities"]
            if not c["sliver"]
        )
        flags = []
        if grid["split_across_communities"]:
            flags.append("[yellow]split across communities[/yellow]")
        if grid["partly_outside"]:
            flags.append(f"[red]{_percent(grid['outside_share'])} outside[/red]")
        if grid["repaired"]:
            flags.append("repaired")
        legacy.add_row(
            grid["legacy_id"],
            f"{grid['area_m2']:,.0f}",
            parts or "—",
            communities or "—",
            "; ".join(flags),
        )
    stdout.print(legacy)
    unified = Table(title="unified grids ← legacy grids (share of grid / of legacy)")
    for column in ("grid code", "name", "legacy cover", "legacy grids"):
        unified.add_column(column)
    for grid in data["unified_grids"]:
        unified.add_row(
            grid["grid_code"],
            grid["name"],
            _percent(grid["legacy_share"]),
            ", ".join(
                f"{p['legacy_id']} {_percent(p['share_of_grid'])}/{_percent(p['share_of_legacy'])}"
                for p in grid["legacy"]
                if not p["sliver"]
            ),
        )
    stdout.print(unified)
    stdout.print(
        f"{summary['legacy_grids']} legacy grids over {summary['unified_grids_touched']} unified"
        f" grids; {summary['split_across_communities']} split across communities,"
        f" {summary['partly_outside']} partly outside the unified grids"
        f" ({summary['entirely_outside']} entirely); slivers ≤"
        f" {_percent(data['sliver']['share_of_legacy'])} or ≤ {data['sliver']['m2']:g} m² ignored"
    )


@app.command("delineate")
def delineate_command(
    community: str = typer.Option(..., "--community", help="12-digit community code"),
    out: Path = typer.Option(..., "--out", help="GeoJSON file for the proposed grids"),
    apply_: bool = typer.Option(
        False, "--apply", help="replace the community's base grids with the proposal"
    ),
    min_households: int = typer.Option(300, help="fewest households in a base grid"),
    max_households: int = typer.Option(500, help="most households in a base grid"),
    seed: int = typer.Option(0, help="seed: the same data and seed give the same proposal"),
) -> None:
    """Propose contiguous, compact base grids of whole street blocks for a community.

    Writes the proposal to --out as a GeoJSON FeatureCollection and prints a summary.
    The database is left alone unless --apply is given: then, in one transaction, the
    community's base grids are replaced (dedicated grids 800–999 stay), the new grids
    numbered 001… west→east, north→south, events re-placed in the new grids, and the
    tiling of the community checked before the commit.
    """
    from gis.db import connect
    from gis.grids.delineate import DelineationError, apply, delineate
    from gis.people import admin_log

    try:
        with _steps(True) as steps, connect() as conn:
            proposal = delineate(
                conn,
                community_code=community,
                min_households=min_households,
                max_households=max_households,
                seed=seed,
                progress=steps,
            )
            out.write_text(
                json.dumps(proposal.feature_collection(), ensure_ascii=False), encoding="utf-8"
            )
            applied = None
            if apply_:
                steps.step("replacing the base grids")
                applied = apply(conn, proposal)
                admin_log.record_command(
                    conn,
                    "grids.redraw",
                    actor=getpass.getuser(),
                    county_code=community[:6],
                    target=community,
                    detail={
                        "removed": list(applied.removed_grids),
                        "created": list(applied.created_grids),
                    },
                )
    except InvalidCode as error:
        exits.fail(str(error), exits.USAGE)
    except (NotFound, DelineationError) as error:
        exits.fail(str(error), exits.REFUSED)
    except psycopg.Error as error:
        exits.fail(f"database: {error}", exits.FAILED)
    _print_proposal(proposal, out)
    if applied is not None:
        stdout.print(
            f"applied: {len(applied.removed_grids)} base grids replaced by"
            f" {len(applied.created_grids)}; {applied.events_replaced} events re-placed"
            f" ({applied.events_placed_by_distance} by distance),"
            f" {applied.tokens_moved} grid-member tokens and {applied.people_moved} people's"
            f" grids moved, {applied.members} grid members"
            f" shared out; tiling: {applied.mismatch_m2:.2f} m² gap/spill,"
            f" {applied.overlap_m2:.2f} m² overlap"
        )
    else:
        stdout.print("nothing written to the database (give --apply to replace the grids)")


def _print_proposal(proposal: Any, out: Path) -> None:
    summary = proposal.summary()
    low, high = summary["bounds_households"]
    within = _percent(summary["share_within_bounds"])
    table = Table(
        title=f"{summary['community_name']} {summary['community_code']}: proposed base grids"
    )
    for column in ("grid code", "households", "population", "buildings", "blocks"):
        table.add_column(column, justify="right")
    table.add_column("compactness", justify="right")
    for grid in proposal.grids:
        households = str(grid.households)
        if not proposal.within_bounds(grid):
            households = f"[red]{households}[/red]"
        table.add_row(
            grid.grid_code,
            households,
            str(grid.population),
            str(grid.buildings),
            str(grid.blocks),
            f"{grid.compactness:.3f}",
        )
    stdout.print(table)
    stdout.print(
        f"{summary['proposed_grids']} grids (was {summary['old_base_grids']} base grids;"
        f" {summary['dedicated_grids_kept']} dedicated grids kept) from {summary['blocks']}"
        f" blocks ({summary['divided_blocks']} divided by their buildings);"
        f" {summary['within_bounds']} within {low}–{high} households ({within});"
        f" households {summary['households_min']}–{summary['households_max']}"
        f" (median {summary['households_median']:g}); mean Polsby-Popper compactness"
        f" {summary['compactness_mean']:.3f}; proposal written to {out}"
    )
    if summary["unplaced_buildings"]:
        stdout.print(
            f"[yellow]{len(summary['unplaced_buildings'])} of the community's buildings lie"
            f" outside its ground and got no grid:[/yellow] "
            + ", ".join(summary["unplaced_buildings"][:10])
        )
