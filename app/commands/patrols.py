"""`onemap patrols`: patrol teams, their members and grids; and `onemap import patrols FILE`,
a phone's GPX or GeoJSON tracks stored for a team, cleaned, all or nothing."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from app import exits
from gis.db import connect
from gis.imports.problems import ImportRejected, Problem
from gis.patrols import reading, teams, uploads
from gis.patrols.blind_spots import BlindSpots
from gis.patrols.coverage import Ground
from gis.patrols.visits import CHINA, PatrolCoverage
from gis.people import admin_log
from gis.vocabulary import GRID_KINDS, TEAM_KINDS

console = Console(stderr=True)
app = typer.Typer(help="Patrol teams and their tracks", no_args_is_help=True)
teams_app = typer.Typer(help="Patrol teams, their members and grids", no_args_is_help=True)
app.add_typer(teams_app, name="teams")
COUNTY = typer.Option("450105", "--county", help="county code")


@teams_app.command("add")
def add_team(
    code: str = typer.Argument(..., help="the team's code (lower case, e.g. jiangnan-zmj-1)"),
    name: str = typer.Option(..., help="the team's name, e.g. 江南街道紫马甲一队"),
    kind: str = typer.Option(..., help=", ".join(TEAM_KINDS.values())),
    grid: list[str] = typer.Option([], help="a grid the team serves (repeat)"),
    county: str = COUNTY,
) -> None:
    """Add a patrol team, with the grids it serves."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            team = teams.create_team(
                conn,
                county_code=county,
                team_code=code,
                name=name,
                kind=kind,
                created_by=user,
                grids=grid,
            )
            admin_log.record_command(
                conn,
                "team.add",
                actor=user,
                county_code=county,
                target=code,
                detail={"kind": kind, "grids": list(team.grids)},
            )
    except teams.TeamError as error:
        exits.fail(error, exits.USAGE)
    typer.echo(f"added team {code} ({TEAM_KINDS.label(kind)}), serving {len(team.grids)} grid(s)")


@teams_app.command("member")
def add_member(
    code: str = typer.Argument(..., help="the team's code"),
    login: str | None = typer.Option(None, help="a person who signs in"),
    name: str | None = typer.Option(None, help="a member without a login"),
    county: str = COUNTY,
) -> None:
    """Add a member to a team: a person who signs in, or a name."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            teams.add_member(conn, code, county_code=county, login=login, name=name)
            admin_log.record_command(
                conn,
                "team.member",
                actor=user,
                county_code=county,
                target=code,
                detail={"login": login, "name": name},
            )
    except teams.TeamError as error:
        exits.fail(error, exits.USAGE)
    typer.echo(f"{login or name} joined {code}")


@teams_app.command("list")
def list_teams(
    county: str = COUNTY,
    as_json: bool = typer.Option(False, "--json", help="print JSON on stdout"),
    everyone: bool = typer.Option(False, "--all", help="disabled teams too"),
) -> None:
    """The teams of the county: kind, members, grids served (disabled ones with --all)."""
    with connect() as conn:
        found = teams.teams(conn, county_code=county, disabled=everyone)
    if as_json:
        typer.echo(json.dumps([t.__dict__ for t in found], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"patrol teams of {county}")
    for column in ("code", "name", "kind", "members", "grids", "disabled"):
        table.add_column(column)
    for t in found:
        table.add_row(
            t.team_code,
            t.name,
            TEAM_KINDS.label(t.kind),
            str(t.members),
            str(len(t.grids)),
            "yes" if t.disabled else "",
        )
    Console().print(table)


def import_patrols(
    file: Path, team_code: str | None, county: str, dry_run: bool, as_json: bool
) -> None:
    """`onemap import patrols FILE --team CODE`: exit 0 stored (or dry run passed), 1
    refused (nothing written), 2 usage error."""
    if not team_code:
        exits.fail("patrols: say whose tracks they are with --team CODE", exits.USAGE)
    size = file.stat().st_size
    try:
        reading.check_size(size, file.name)
        tracks = reading.read_tracks(file.read_bytes(), name=file.name)
        with connect() as conn:
            team = teams.team_named(conn, team_code, county_code=county)
            with conn.transaction(force_rollback=dry_run):
                stored = uploads.store(
                    conn,
                    tracks,
                    team_id=team.team_id,
                    team_code=team.team_code,
                    source="import",
                    file_name=file.name,
                    file_format=reading.format_of(file.name),
                    size=size,
                    uploader=uploads.Uploader(getpass.getuser()),
                )
            if not dry_run:
                admin_log.record_command(
                    conn,
                    "import",
                    actor=getpass.getuser(),
                    county_code=county,
                    target="patrols",
                    detail={
                        "file": file.name,
                        "bytes": size,
                        "team": team.team_code,
                        "upload_id": stored.upload_id,
                        "tracks": sum(len(t.track_ids) for t in stored.tracks),
                    },
                )
    except teams.TeamError as error:
        exits.fail(error, exits.USAGE)
    except (ImportRejected, uploads.TeamNotServing) as refused:
        if as_json:
            typer.echo(json.dumps(refused.report, ensure_ascii=False, indent=2))
        else:
            _print_refusal(file.name, refused.problems)
        raise typer.Exit(exits.REFUSED) from None
    except psycopg.OperationalError as error:
        exits.fail(f"database: {error}", exits.DATABASE)
    report = {**stored.as_dict(), "file": file.name, "dry_run": dry_run}
    if dry_run:
        report["upload_id"] = None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_stored(report)


def _print_refusal(name: str, problems: list[Problem]) -> None:
    table = Table(title=f"{name}: refused, nothing written")
    table.add_column("track", overflow="fold")
    table.add_column("problem", overflow="fold")
    for problem in problems:
        table.add_row(problem.record, problem.problem)
    console.print(table)
    console.print(f"[red]{len(problems)} problem(s)[/red]; nothing was written")


def _print_stored(report: dict) -> None:
    table = Table(title=f"{report['file']} for team {report['team']}")
    for column in ("track", "fixes", "kept", "dropped", "pieces"):
        table.add_column(column, overflow="fold")
    for track in report["tracks"]:
        dropped = ", ".join(f"{n} {rule}" for rule, n in track["dropped"].items() if n)
        table.add_row(
            track["label"],
            f"{track['raw_points']:,}",
            f"{track['kept_points']:,}",
            dropped or "none",
            str(track["pieces"]),
        )
    Console().print(table)
    pieces = sum(t["pieces"] for t in report["tracks"])
    if report["dry_run"]:
        console.print(f"would store {pieces} track piece(s); nothing written (dry run)")
    else:
        console.print(f"stored upload {report['upload_id']}: {pieces} track piece(s)")


# Visits and the standard (docs/patrols.md, "Visits and the standard").


@app.command("coverage")
def coverage(
    start: str | None = typer.Option(
        None, "--from", help="first day (China time) or RFC 3339 instant; default this month"
    ),
    end: str | None = typer.Option(
        None, "--to", help="day after the last (exclusive) or RFC 3339 instant"
    ),
    group_by: str = typer.Option("grid", "--group-by", help="grid, community, subdistrict, team"),
    scope: str | None = typer.Option(None, help="county, subdistrict or community code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON on stdout"),
) -> None:
    """Visits and hours per grid against the monthly standard of its kind (2 visits of
    10 minutes and 4 hours unless the county sets another). Exit 0 when every grid meets
    it, 1 when some do not, 2 for a bad option."""
    from app.params import parse_instant
    from gis.errors import InvalidParameter
    from gis.patrols import visits

    try:
        with connect() as conn:
            report = visits.coverage_report(
                conn,
                start=parse_instant("--from", start),
                end=parse_instant("--to", end),
                group_by=group_by,
                scope=scope,
            )
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except psycopg.OperationalError as error:
        exits.fail(f"database: {error}", exits.DATABASE)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_coverage(report)
    if report.total.grids_meeting < report.total.grids:
        raise typer.Exit(exits.FINDINGS)


def _print_coverage(report: PatrolCoverage) -> None:
    start, end = report.start.astimezone(CHINA), report.end.astimezone(CHINA)
    period = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} China time"
    table = Table(title=f"patrol visits, {period}", caption=RULE_CAPTION)
    if report.group_by in ("community", "subdistrict"):
        table.add_column(report.group_by, no_wrap=True)
        table.add_column("name")
        for column in ("grids", "meet", "unpatrolled", "visits", "hours", *GROUND_COLUMNS):
            table.add_column(column, justify="right")
        table.add_column("last patrol")
        for group in report.groups:
            table.add_row(
                group.code,
                group.name or "",
                str(group.grids),
                _share(group.grids_meeting, group.grids),
                str(group.grids_unpatrolled),
                str(group.visits),
                f"{group.hours:.1f}",
                *_ground_cells(group.ground),
                _when(group.last_patrolled_at),
            )
    else:
        several = len(report.months) > 1
        if report.group_by == "team":
            table.add_column("team", no_wrap=True)
        table.add_column("grid", no_wrap=True)
        table.add_column("name")
        table.add_column("kind")
        table.add_column("visits", justify="right")
        table.add_column("hours", justify="right")
        table.add_column("standard", no_wrap=True)
        if several:
            table.add_column("months")
        if report.group_by != "team":
            for column in GROUND_COLUMNS:
                table.add_column(column, justify="right")
        table.add_column("last patrol")
        for grid in report.grids:
            cells = [
                grid.grid_code,
                grid.name,
                GRID_KINDS.label(grid.grid_kind),
                f"{grid.visits}/{grid.min_visits}",
                f"{grid.hours:.1f}/{grid.min_hours:g}",
                "[green]✓ meets[/green]" if grid.meets_standard else "[red]✗ below[/red]",
            ]
            if several:
                cells.append(
                    " ".join(
                        f"{m.month[5:]}{'✓' if m.meets_standard else '✗'}" for m in grid.months
                    )
                )
            if report.group_by != "team":
                cells.extend(_ground_cells(grid.ground))
            cells.append(_when(grid.last_patrolled_at))
            if report.group_by == "team":
                cells.insert(0, grid.team_code or "")
            table.add_row(*cells)
    Console().print(table)
    total = report.total
    console.print(
        f"{_share(total.grids_meeting, total.grids)} grids meet the standard;"
        f" {total.grids_unpatrolled} saw no patrol; {total.visits} visits, {total.hours:.1f} h"
    )
    for note in report.caveats.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


RULE_CAPTION = (
    "visits and hours: done/needed a month (China time); a grid meets the standard when"
    " every month of the period does; buildings, streets, cells: share a patrol passed"
    " within 30 m of"
)


# within R metres of a patrol: buildings, street length, 50 m cells (percent of each)
GROUND_COLUMNS = ("buildings", "streets", "cells")


def _ground_cells(ground: Ground | None) -> list[str]:
    if ground is None:
        return ["", "", ""]
    return [
        "–" if pct is None else f"{pct:.0f}%"
        for pct in (ground.buildings_pct, ground.street_pct, ground.cells_pct)
    ]


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole}" + (f" ({100 * part / whole:.0f}%)" if whole else "")


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment.astimezone(CHINA):%Y-%m-%d %H:%M}"


@app.command("stale")
def stale(
    days: int | None = typer.Option(
        None, "--days", min=1, max=3660, help="days without a patrol (default: the standard, 14)"
    ),
    scope: str | None = typer.Option(None, help="county, subdistrict or community code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON on stdout"),
) -> None:
    """Grids nobody has patrolled for DAYS days, never-patrolled grids first. Exit 0 when
    there are none, 1 when there are."""
    from gis.errors import InvalidParameter
    from gis.patrols import visits

    try:
        with connect() as conn:
            grids = visits.stale_grids(conn, days=days, scope=scope)
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    if as_json:
        typer.echo(json.dumps([g.as_dict() for g in grids], ensure_ascii=False, indent=2))
    else:
        table = Table(title="grids without a patrol" + (f" for {days} days" if days else ""))
        for column in ("grid", "name", "kind", "last patrol", "days since", "allowed"):
            table.add_column(column)
        for grid in grids:
            table.add_row(
                grid.grid_code,
                grid.name,
                GRID_KINDS.label(grid.grid_kind),
                _when(grid.last_patrolled_at),
                "—" if grid.days_since is None else f"{grid.days_since:.1f}",
                str(grid.days),
            )
        Console().print(table)
        console.print(f"{len(grids)} grid(s) without a patrol")
    if grids:
        raise typer.Exit(exits.FINDINGS)


def _logged(
    action: str,
    target: str,
    county: str | None,
    work: Callable[[psycopg.Connection], dict[str, int]],
) -> dict[str, int]:
    """Run ``work`` in one transaction and log its counts in the admin log as the OS
    user's command, in the same transaction; a bad county (InvalidParameter) exits 2."""
    from gis.errors import InvalidParameter

    try:
        with connect() as conn:
            counts = work(conn)
            admin_log.record_command(
                conn,
                action,
                actor=getpass.getuser(),
                county_code=county,
                target=target,
                detail=counts,
            )
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    return counts


@app.command("refresh-visits")
def refresh_visits(
    county: str | None = typer.Option(None, "--county", help="only this county's tracks"),
) -> None:
    """Recompute every stretch of every track (of a county) inside the grids as they are
    now: run after grids are redrawn (onemap import grids). One transaction."""
    from gis.patrols import visits

    counts = _logged(
        "patrols.refresh_visits",
        "patrol_stretches",
        county,
        lambda conn: visits.refresh_visits(conn, county=county),
    )
    typer.echo(
        f"{counts['stretches']} stretches in {counts['tracks']} tracks"
        f" (replacing {counts['removed']})"
    )


# What patrols covered on the ground (docs/patrols.md, "What patrols cover").


@app.command("refresh")
def refresh(
    county: str | None = typer.Option(None, "--county", help="only this county's tracks"),
    month: str | None = typer.Option(None, "--month", help="with --full: only this month, YYYY-MM"),
    full: bool = typer.Option(
        False, "--full", help="recount the county's months from all their tracks"
    ),
) -> None:
    """Count the tracks stored since the last refresh into the buildings, streets and
    cells patrolled each month (the server does this every minute); --full recounts, as
    after tracks are deleted. One transaction."""
    from gis.errors import InvalidParameter
    from gis.patrols import coverage as ground

    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=CHINA) if month else None
    except ValueError:
        exits.fail(f"--month {month!r}: expected YYYY-MM", exits.USAGE)
    try:
        with connect() as conn:
            counts = ground.refresh(conn, county=county, month=first, full=full)
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    typer.echo(
        f"{counts['tracks']} new track(s), {counts['chunks']:,} chunk(s) counted:"
        f" {counts['patrolled']:,} patrolled target(s) added or widened"
    )


@app.command("targets")
def targets(
    county: str = COUNTY,
) -> None:
    """List again what can be patrolled in a county (its buildings, its streets in pieces
    of at most 50 m, 50 m cells) from its places, and recount its months: run after
    buildings, streets or grids change. One transaction."""
    from gis.patrols import coverage as ground

    counts = _logged(
        "patrols.targets",
        "patrol_targets",
        county,
        lambda conn: ground.rebuild_targets(conn, county),
    )
    typer.echo(
        f"{counts['buildings']:,} buildings, {counts['street_segments']:,} street segments,"
        f" {counts['cells']:,} cells of 50 m; {counts['patrolled']:,} patrolled in some month"
    )


# Blind spots (docs/patrols.md, "Blind spots").


@app.command("blind-spots")
def blind_spots(
    start: str | None = typer.Option(
        None, "--from", help="first day (China time) or RFC 3339 instant; default this month"
    ),
    end: str | None = typer.Option(
        None, "--to", help="day after the last (exclusive) or RFC 3339 instant"
    ),
    days: int = typer.Option(
        7, "--days", min=1, max=365, help="the window before each event a patrol must fall in"
    ),
    scope: str | None = typer.Option(None, help="county, subdistrict or community code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON on stdout"),
) -> None:
    """Events reported where no patrol passed within R metres (the county's standard,
    30 m) in the DAYS days before, by grid then time, each with the nearest patrol within
    500 m. Exit 0 when there are none, 1 when there are, 2 for a bad option."""
    from app.params import parse_instant
    from gis.errors import InvalidParameter
    from gis.patrols import blind_spots as blind

    try:
        with connect() as conn:
            report = blind.blind_spots(
                conn,
                start=parse_instant("--from", start),
                end=parse_instant("--to", end),
                scope=scope,
                days=days,
            )
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    except psycopg.OperationalError as error:
        exits.fail(f"database: {error}", exits.DATABASE)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_blind_spots(report)
    if report.spots:
        raise typer.Exit(exits.FINDINGS)


def _print_blind_spots(report: BlindSpots) -> None:
    start, end = report.start.astimezone(CHINA), report.end.astimezone(CHINA)
    radii = {f"{spot.radius_m:g} m" for spot in report.spots} or {"R"}
    table = Table(
        title=f"blind spots, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} China time",
        caption=(
            f"events no patrol passed within {', '.join(sorted(radii))} of in the"
            f" {report.days} days before; nearest: the closest a patrol came within 500 m"
            " in the 30 days before"
        ),
    )
    for column in ("grid", "reported", "event", "category", "nearest patrol"):
        table.add_column(column, no_wrap=column != "category")
    previous = None
    for spot in report.spots:
        grid = spot.grid_code or "(no grid)"
        if spot.nearest_patrol_m is None or spot.nearest_patrol_at is None:
            nearest = "[red]none within 500 m[/red]"
        else:
            hours = (spot.reported_at - spot.nearest_patrol_at).total_seconds() / 3600
            ago = f"{hours:.0f} h" if hours < 24 else f"{hours / 24:.1f} days"
            nearest = f"{spot.nearest_patrol_m:.0f} m, {ago} before"
        table.add_row(
            "" if grid == previous else f"{grid} {spot.grid_name or ''}".strip(),
            f"{spot.reported_at.astimezone(CHINA):%m-%d %H:%M}",
            spot.tracking_number,
            spot.category_name,
            nearest,
        )
        previous = grid
    Console().print(table)
    grids = len({spot.grid_code for spot in report.spots})
    console.print(f"{len(report.spots)} blind spot(s) in {grids} grid(s)")
    for note in report.caveats.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
