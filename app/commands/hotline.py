"""`onemap import-events FILE`: a 12345 hotline export (CSV or GeoJSON) as events, placed
in grids in bulk, all or nothing, idempotent by ticket id (gis/events/hotline.py).

A command of its own rather than a layer of `onemap import`: that one imports places
with their codes, CRS and parents; tickets have none of those, and a separate command
keeps its help and exit codes plain."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app import exits
from app.commands.progress import TaskSteps
from gis.db import database_url

console = Console(stderr=True)


def import_events(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="hotline export: CSV or GeoJSON"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary (or problems) as JSON"),
) -> None:
    """Import a 12345 hotline export as events of source hotline_12345. Columns: 工单编号
    ticket_id, 受理时间 reported_at, 类别 category, 内容 description, 经度 lon, 纬度 lat,
    地址 address, 状态 status, 办结时间 closed_at. Bad rows are all named and nothing is
    written (exit 1); tickets imported before are skipped."""
    from gis.events.hotline import STEPS, HotlineRejected, import_hotline

    with (
        Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as progress,
        psycopg.connect(database_url()) as conn,
    ):
        task = progress.add_task("import", total=len(STEPS))
        try:
            summary = import_hotline(conn, file, progress=TaskSteps(progress, task))
        except HotlineRejected as error:
            progress.stop()
            if as_json:
                rows = [{"row": r, "column": c, "problem": p} for r, c, p in error.problems]
                print(json.dumps({"imported": 0, "problems": rows}, ensure_ascii=False))
            console.print(f"[red]refused:[/red] {error}")
            raise typer.Exit(exits.REFUSED) from None
        progress.update(task, completed=len(STEPS))
    if as_json:
        print(json.dumps(summary.__dict__, ensure_ascii=False))
    console.print(
        f"{summary.rows:,} rows: {summary.created:,} events created, {summary.skipped:,}"
        f" already imported; {summary.in_grid:,} in a grid, {summary.in_gap:,} between grids"
    )
