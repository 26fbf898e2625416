"""`onemap events`: the deadline sweep and the transition table."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from app import exits
from app.params import parse_instant
from gis.db import database_url
from gis.errors import InvalidParameter

console = Console(stderr=True)
app = typer.Typer(
    help="Events: escalation of overdue events, the closed loop", no_args_is_help=True
)


def _instant(value: str | None) -> datetime:
    try:
        instant = parse_instant("--now", value)
    except InvalidParameter as error:
        exits.fail(error, exits.USAGE)
    return datetime.now(UTC) if instant is None else instant


@app.command("escalate")
def escalate(
    now: str | None = typer.Option(
        None, "--now", help="judge deadlines as of this instant (ISO 8601 with offset)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the escalations as JSON"),
) -> None:
    """Flag events not handled by their deadline and escalate them a level (社区站 →
    街道分中心 → 城区中心). Safe to run at any interval: a second run changes nothing."""
    from gis.events import idempotency
    from gis.events.deadlines import escalate_overdue

    instant = _instant(now)

    async def run() -> tuple[list, int]:
        async with await psycopg.AsyncConnection.connect(database_url(), autocommit=True) as conn:
            done = await escalate_overdue(conn, now=instant)
            # Keys expire by the real clock, whatever instant deadlines are judged by.
            pruned = await idempotency.prune(conn, now=datetime.now(UTC))
            return done, pruned

    with console.status("escalating overdue events"):
        escalations, pruned = asyncio.run(run())
    if as_json:
        rows = [
            {
                "event_id": e.event_id,
                "tracking_number": e.tracking_number,
                "status": e.status,
                "from_level": e.from_level,
                "to_level": e.to_level,
                "supervised_by": e.supervised_by,
                "deadline_at": e.deadline_at.isoformat(),
                "grid_code": e.grid_code,
            }
            for e in escalations
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if escalations:
        table = Table("event", "status", "deadline", "level", "supervised by")
        for e in escalations:
            table.add_row(
                e.tracking_number,
                e.status,
                f"{e.deadline_at:%Y-%m-%d %H:%M %Z}",
                f"{e.from_level} → {e.to_level}",
                e.supervised_by,
            )
        console.print(table)
    console.print(
        f"{len(escalations)} event(s) escalated as of {instant.isoformat()};"
        f" {pruned} expired idempotency key(s) removed"
    )


@app.command("transitions")
def transitions() -> None:
    """Print the transition table (state × action → next state, roles) as Markdown."""
    from gis.events.stages import markdown_table

    typer.echo(markdown_table())
