"""`onemap audit`: audits for auditors (考核). `onemap audit grids` checks the grid network.

Exit codes: 0 the audit found nothing, 1 it found something (the report says what),
2 a usage error (malformed or unknown community code), 3 the database failed.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app import exits
from app.commands.progress import TaskSteps
from gis.codes import InvalidCode
from gis.errors import NotFound
from gis.grids import audit as grid_audit

app = typer.Typer(help="Audits: the grid network against its rules", no_args_is_help=True)
errors = Console(stderr=True)

# Findings listed per kind in the table view (the JSON has them all).
LISTED = 10
# Kinds whose area is the problem's size; for the others it is just the grid's area.
AREA_KINDS = ("gaps", "overlaps", "crossing_grids", "stray_buildings", "split_buildings")

_TITLES = {
    "gaps": "gaps 空白 (community ground in no grid)",
    "overlaps": "overlaps 重叠 (grid pairs)",
    "crossing_grids": "grids crossing their community",
    "stray_buildings": "buildings in no grid",
    "split_buildings": "buildings split between grids",
    "out_of_standard_grids": "base grids outside 300–500 households / ~1,000 people",
    "unstaffed_grids": "grids without leader or members",
    "invalid_geometries": "invalid grid outlines",
    "invalid_codes": "invalid grid codes",
}


def _codes(finding: dict[str, Any]) -> str:
    if "grid_codes" in finding:
        return " / ".join(finding["grid_codes"])
    for key in ("building_code", "grid_code", "community_code"):
        if key in finding:
            return str(finding[key])
    return ""


def _detail(kind: str, finding: dict[str, Any]) -> str:
    if kind == "split_buildings":
        return ", ".join(f"{s['grid_code']} {s['share']:.0%}" for s in finding["shares"])
    if kind == "crossing_grids":
        entered = ", ".join(finding["entered_community_codes"]) or "no community"
        return f"{finding['share']:.1%} outside, in {entered}"
    if kind == "out_of_standard_grids":
        return f"{finding['households']} households, {finding['population']} people"
    if kind == "unstaffed_grids":
        return ", ".join(finding["problems"])
    if kind == "invalid_geometries":
        return str(finding["reason"])
    if kind == "invalid_codes":
        return str(finding["problem"])
    return ""


def _print_tables(report: dict[str, Any]) -> None:
    out = Console()
    summary = report["summary"]
    scope = report["community_code"] or "all communities"
    table = Table(
        title=f"Grid audit: {scope} — {summary['communities']:,} communities, "
        f"{summary['grids']:,} grids, {summary['buildings']:,} buildings"
    )
    table.add_column("finding")
    table.add_column("count", justify="right")
    table.add_column("area m²", justify="right")
    for kind in grid_audit.FINDING_KINDS:
        findings = report[kind]
        area = f"{sum(float(f['area_m2']) for f in findings):,.1f}" if kind in AREA_KINDS else ""
        style = "red" if findings else "green"
        table.add_row(_TITLES[kind], f"[{style}]{len(findings):,}[/{style}]", area)
    out.print(table)
    if summary["clean"]:
        out.print("[green]clean: no findings[/green]")
        return
    listing = Table(title=f"Findings (first {LISTED} of each kind; --json for all)")
    listing.add_column("kind")
    listing.add_column("codes")
    listing.add_column("area m²", justify="right")
    listing.add_column("detail")
    for kind in grid_audit.FINDING_KINDS:
        for finding in report[kind][:LISTED]:
            listing.add_row(
                kind, _codes(finding), f"{float(finding['area_m2']):,.1f}", _detail(kind, finding)
            )
    out.print(listing)


@app.command("grids")
def grids(
    community: str | None = typer.Option(
        None, "--community", help="12-digit community code to audit (default: all)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the full report as JSON"),
) -> None:
    """Audit the grid network: gaps, overlaps, grids crossing their community, buildings in
    no grid or split between grids, base grids outside the standard, grids without leader
    or members, invalid outlines and codes. Exit 0 clean, 1 findings, 2 usage error."""
    from gis.db import connect

    progress = Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )
    try:
        with progress, connect() as conn:
            task = progress.add_task("grid audit", total=grid_audit.STEPS)
            report = grid_audit.audit_grids(
                conn, community_code=community, progress=TaskSteps(progress, task)
            )
    except (InvalidCode, NotFound) as error:
        exits.fail(f"--community: {error}", exits.USAGE)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}", exits.DATABASE)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_tables(report)
    raise typer.Exit(exits.OK if report["summary"]["clean"] else exits.FINDINGS)
