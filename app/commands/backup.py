"""Whole-database backup and restore with PostgreSQL's own tools (pg_dump's custom format).

``onemap db backup FILE`` writes the database the project uses (ONEMAP_DATABASE_URL, or
the local cluster) to FILE: first to a temporary file beside it, renamed only when
pg_dump has finished, so FILE is never half a backup. ``onemap db restore FILE`` puts it
back in one transaction (``pg_restore --single-transaction --clean --if-exists``): the
database ends as the backup was, or, on any error, as it was before.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.commands.devdb import pg_bindir
from gis.errors import OnemapError


class BackupError(OnemapError):
    """pg_dump or pg_restore failed; the message carries what it said."""


@dataclass(frozen=True)
class Backup:
    """A backup written or restored: its file and size in bytes."""

    path: Path
    size: int


def backup(database_url: str, path: Path) -> Backup:
    """Dump the whole database at ``database_url`` to ``path`` (custom format)."""
    path = path.resolve()
    partial = path.with_name(f".{path.name}.partial")
    _run(
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={partial}",
        f"--dbname={database_url}",
    )
    os.replace(partial, path)
    return Backup(path, path.stat().st_size)


def restore(database_url: str, path: Path) -> Backup:
    """Replace the database's content with the backup at ``path``, all or nothing."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    _run(
        "pg_restore",
        "--single-transaction",
        "--exit-on-error",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        f"--dbname={database_url}",
        str(path),
    )
    return Backup(path, path.stat().st_size)


def _run(tool: str, *args: str) -> None:
    try:
        done = subprocess.run(
            [str(pg_bindir() / tool), *args], capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"{tool} could not run: {error}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{tool} failed: {' / '.join(said[-3:]) or done.returncode}")
