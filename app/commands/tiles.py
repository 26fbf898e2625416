"""`onemap tiles`: vector tiles for phones offline.

Exit codes: 0 done; 1 no such place, or nothing to map in it; 2 a usage error (a
malformed code, another level's code, bad zooms); 3 the database failed.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from app import exits
from app.commands.progress import ImportProgress
from gis.codes import InvalidCode
from gis.errors import InvalidParameter, NotFound
from gis.ogc import tile_export

app = typer.Typer(help="Vector tiles: PMTiles archives for phones offline", no_args_is_help=True)
console = Console(stderr=True)


@app.command("export")
def export(
    scope: str = typer.Option(
        ..., "--scope", help="district (6 digits), subdistrict (9), community (12) or grid (15)"
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="the archive, FILE.pmtiles"),
    min_zoom: int = typer.Option(tile_export.DEFAULT_MIN_ZOOM, "--minzoom", help="lowest zoom"),
    max_zoom: int = typer.Option(tile_export.DEFAULT_MAX_ZOOM, "--maxzoom", help="highest zoom"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    progress: bool = typer.Option(True, help="show a progress bar on stderr"),
) -> None:
    """Write a PMTiles archive of the one map (communities, grids, service centres, events
    and, from zoom 15, buildings) over a district, subdistrict, community or grid."""
    from gis.db import database_url

    try:
        with (
            psycopg.connect(database_url(), autocommit=True) as conn,
            ImportProgress(enabled=progress and not as_json) as bar,
        ):
            summary = tile_export.export_pmtiles(
                conn, scope=scope, path=out, min_zoom=min_zoom, max_zoom=max_zoom, progress=bar
            )
    except (InvalidCode, InvalidParameter) as error:
        exits.fail(error, exits.USAGE)
    except NotFound as error:
        exits.fail(error, exits.REFUSED)
    except psycopg.Error as error:
        exits.fail(f"the database failed: {error}; no archive was written", exits.DATABASE)
    if as_json:
        print(
            json.dumps(
                {
                    "scope": summary.scope,
                    "path": str(summary.path),
                    "tiles": summary.tiles,
                    "empty_tiles": summary.empty_tiles,
                    "bytes": summary.bytes,
                    "min_zoom": summary.min_zoom,
                    "max_zoom": summary.max_zoom,
                    "bounds": list(summary.bounds),
                },
                indent=2,
            )
        )
        return
    console.print(
        f"{summary.path}: {summary.tiles:,} tiles ({summary.empty_tiles:,} empty left out),"
        f" zoom {summary.min_zoom} to {summary.max_zoom}, {summary.bytes / 1e6:.1f} MB"
    )
