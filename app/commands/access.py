"""`onemap access`: service centres' walking access — `compute` the 5/10/15-minute service
areas, `coverage` of households, `standards` of the centres, `suggest` sites for new ones.

Exit codes: 0 done (standards: every centre compliant), 1 standards found non-compliant
centres or no choice of sites reaches the target, 2 a usage error (bad code, minutes,
level, unknown centre or building), 3 the database failed.
"""

from __future__ import annotations

import json
import os
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from app import exits
from app.params import parse_list
from gis.errors import InvalidParameter, NotFound

app = typer.Typer(
    help="Service centres: walking service areas, coverage, standards, siting",
    no_args_is_help=True,
)
errors = Console(stderr=True)

LISTED = 30


@app.command("compute")
def compute(
    county: str | None = typer.Option(None, "--county", help="only centres of this county"),
    centres: list[int] = typer.Option(
        [], "--centre", help="only this centre (center_id); repeat for more"
    ),
    queued: bool = typer.Option(
        False, "--queued", help="only centres queued since their areas were drawn"
    ),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", min=1, help="connections drawing at once"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    progress: bool = typer.Option(True, help="show a progress bar on stderr"),
) -> None:
    """Compute and store the 5/10/15-minute walking service areas of every centre (or of
    the chosen ones), replacing their old areas in one transaction. Centres in a county
    without a walking network get straight-line circles, and the summary says so."""
    from app.commands.progress import StepProgress
    from app.settings import Settings
    from gis.access import compute_service_areas, refresh_service_areas, service_areas
    from gis.db import database_url

    settings = Settings()
    options: dict[str, Any] = {
        "speed_kmh": settings.walking_speed_kmh,
        "buffer_m": settings.service_area_buffer_m,
        "workers": workers,
    }
    try:
        with (
            psycopg.connect(database_url(), autocommit=True) as conn,
            StepProgress(service_areas.STEPS, enabled=progress and not as_json) as bar,
        ):
            if queued:
                run = refresh_service_areas(conn, county_code=county, progress=bar, **options)
            else:
                run = compute_service_areas(
                    conn, center_ids=centres or None, county_code=county, progress=bar, **options
                )
    except (InvalidParameter, NotFound) as error:
        exits.fail(error, exits.USAGE)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}; nothing was written", exits.DATABASE)
    if as_json:
        print(json.dumps(run.as_dict(), indent=2))
        return
    errors.print(
        f"service areas: {run.areas:,} areas ({', '.join(map(str, run.minutes))} min at"
        f" {run.speed_kmh:g} km/h, band {run.buffer_m:g} m) for {run.centres:,} centres"
        f" in {run.seconds:.1f} s"
    )
    if run.straight_line_centres:
        errors.print(
            f"[yellow]warning:[/yellow] {run.straight_line_centres:,} centres got straight-line"
            " circles: their county has no walking network (onemap import osm)"
        )
    for center_id, metres in run.far_from_network[:LISTED]:
        errors.print(
            f"[yellow]warning:[/yellow] centre {center_id} is {metres:,.0f} m from the nearest"
            " walkable way: its areas start with that walk"
        )
    if run.still_queued:
        errors.print(f"{run.still_queued:,} other centres are still queued (--queued)")


@app.command("coverage")
def coverage(
    minutes: int = typer.Option(15, "--minutes", help="5, 10 or 15"),
    group_by: str = typer.Option(
        "community", "--by", help="community, subdistrict or county of the buildings"
    ),
    scope: str | None = typer.Option(
        None, "--scope", help="a county, subdistrict or community code (default: all)"
    ),
    levels: list[str] = typer.Option(
        [], "--level", help="count only areas of centres of this level; repeat for more"
    ),
    uncovered: typer.FileTextWrite | None = typer.Option(
        None, "--uncovered", help="write the uncovered buildings as GeoJSON to this file"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Households, residents and buildings inside the service areas, per community,
    subdistrict or county, with the caveats (stale, missing or straight-line areas)."""
    from gis.access.coverage import coverage_report, uncovered_layer
    from gis.db import connect

    try:
        with connect() as conn:
            report = coverage_report(
                conn, minutes=minutes, group_by=group_by, scope=scope, levels=levels or None
            )
            layer = (
                uncovered_layer(conn, minutes=minutes, scope=scope, levels=levels or None)
                if uncovered is not None
                else None
            )
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}", exits.DATABASE)
    if uncovered is not None and layer is not None:
        json.dump(layer, uncovered, ensure_ascii=False)
        errors.print(
            f"{layer['numberMatched']:,} uncovered buildings ({layer['uncovered_households']:,}"
            f" households) written to {uncovered.name}"
        )
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    _print_coverage(report)


@app.command("standards")
def standards(
    scope: str | None = typer.Option(
        None, "--scope", help="a county, subdistrict or community code (default: all)"
    ),
    level: str | None = typer.Option(None, "--level", help="only centres of this level"),
    show_all: bool = typer.Option(False, "--all", help="list compliant centres too"),
    as_json: bool = typer.Option(False, "--json", help="print every centre as JSON"),
) -> None:
    """Each centre against its level's standard: community ≥ 500 m²; compound ≥ 300 m² and
    ≥ 30 m² per 100 households of its compound; the four basic rooms of "4+X". Lists the
    non-compliant with the shortfall. Exit 0 all compliant, 1 some not, 2 usage error."""
    from gis.access import standards as access_standards
    from gis.db import connect

    try:
        with connect() as conn:
            centres = access_standards.check_standards(conn, scope=scope, level=level)
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}", exits.DATABASE)
    summary = access_standards.summarise(centres)
    failing = [c for c in centres if not c.compliant]
    if as_json:
        print(
            json.dumps(
                {
                    "summary": [s.as_dict() for s in summary],
                    "centres": [c.as_dict() for c in centres if show_all or not c.compliant],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_standards(summary, centres if show_all else failing)
    raise typer.Exit(exits.FINDINGS if failing else exits.OK)


@app.command("suggest")
def suggest(
    k: int | None = typer.Option(None, "--k", help="the number of new centres to site"),
    target_pct: float | None = typer.Option(
        None, "--target", help="instead of --k: the household coverage (%) to reach"
    ),
    minutes: int = typer.Option(15, "--minutes", help="5, 10 or 15"),
    scope: str | None = typer.Option(
        None, "--scope", help="a county, subdistrict or community code (default: all)"
    ),
    levels: list[str] = typer.Option(
        [], "--level", help="existing centres of this level count as covering; repeat"
    ),
    candidates: list[str] = typer.Option(
        [], "--candidate", help="a candidate site's building code; repeat (default: by use)"
    ),
    uses: str = typer.Option(
        "public,commercial", "--uses", help="building uses that may host a centre"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Where new centres would reach the most households no centre reaches yet: --k
    sites by maximal covering (MCLP), or the fewest reaching --target % (spopt, CBC).
    Exit 0 with the ranked sites, 1 when no choice reaches the target, 2 usage error."""
    from app.settings import Settings
    from gis.access.siting import TargetUnreachable, suggest_sites
    from gis.db import connect

    settings = Settings()
    try:
        with connect() as conn:
            result = suggest_sites(
                conn,
                k=k,
                target_pct=target_pct,
                minutes=minutes,
                scope=scope,
                levels=levels or None,
                candidates=candidates or None,
                candidate_uses=parse_list(uses),
                speed_kmh=settings.walking_speed_kmh,
                buffer_m=settings.service_area_buffer_m,
            )
    except TargetUnreachable as error:
        exits.fail(error, exits.FINDINGS)
    except (InvalidParameter, NotFound) as error:
        exits.fail(error, exits.USAGE)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}", exits.DATABASE)
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    out = Console()
    table = Table(
        title=f"{len(result.sites)} new centres ({result.model}, {result.minutes} min):"
        f" household coverage {result.coverage_pct_before:.1f} %"
        f" → {result.coverage_pct_after:.1f} %"
    )
    for column in ("rank", "building", "name", "use", "households", "residents", "coverage %"):
        table.add_column(
            column,
            justify="right" if column in ("households", "residents", "coverage %") else "left",
        )
    for site in result.sites:
        table.add_row(
            str(site.rank),
            site.building_code,
            site.name or "",
            site.building_use,
            f"{site.households_added:,}",
            f"{site.population_added:,}",
            f"{site.coverage_pct_after:.1f}",
        )
    out.print(table)
    errors.print(
        f"{result.candidates:,} candidate sites ({result.candidates_out_of_reach:,} out of reach"
        f" of any uncovered household), {result.uncovered_buildings:,} uncovered buildings;"
        f" solver: {result.solver_status}; {result.seconds:.1f} s"
    )


def _print_coverage(report: Any) -> None:
    out = Console()
    scope = report.scope or "all"
    table = Table(
        title=f"Coverage at {report.minutes} minutes' walk: {scope}, by {report.group_by}"
    )
    for column in ("code", "name", "households", "covered", "%", "residents", "%", "buildings"):
        table.add_column(column, justify="left" if column in ("code", "name") else "right")
    for row in [*report.groups, report.total]:
        table.add_row(
            row.code,
            row.name or "",
            f"{row.households:,}",
            f"{row.covered_households:,}",
            _pct(row.households_pct),
            f"{row.population:,}",
            _pct(row.population_pct),
            f"{row.covered_buildings:,}/{row.buildings:,}",
            style="bold" if row is report.total else None,
        )
    out.print(table)
    for note in report.caveats.notes:
        errors.print(f"[yellow]caveat:[/yellow] {note}")


def _print_standards(summary: list[Any], listed: list[Any]) -> None:
    out = Console()
    table = Table(title="Service-centre standards")
    for column in ("level", "centres", "compliant", "short of area", "lacking rooms", "short m²"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for row in summary:
        table.add_row(
            row.level,
            f"{row.centres:,}",
            f"{row.compliant:,}",
            f"{row.short_of_area:,}",
            f"{row.lacking_rooms:,}",
            f"{row.shortfall_m2:,.1f}",
        )
    out.print(table)
    if not listed:
        out.print("[green]every centre meets its standard[/green]")
        return
    centres = Table(title=f"Centres ({len(listed):,}; first {LISTED} — --json for all)")
    for column in ("id", "name", "level", "m²", "required", "short", "missing rooms"):
        centres.add_column(
            column, justify="right" if column in ("m²", "required", "short") else "left"
        )
    for centre in listed[:LISTED]:
        centres.add_row(
            str(centre.center_id),
            centre.name,
            centre.level,
            f"{centre.area_m2:,.1f}",
            "—" if centre.required_m2 is None else f"{centre.required_m2:,.1f}",
            f"{centre.shortfall_m2:,.1f}",
            ", ".join(centre.missing_rooms),
        )
    out.print(centres)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
