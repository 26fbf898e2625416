"""A file read and checked record by record, ready for the staging half of an import, and
the progress bars over an import's phases."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from gis.imports.layers import Layer
from gis.imports.problems import Problem
from gis.imports.record_checks import StagedRecord


class ImportProgress:
    """Progress bars over an import's phases (reading, checking, staging, validating,
    writing) on stderr, so that ``--json`` output stays clean; silent when disabled."""

    def __init__(self, enabled: bool = False) -> None:
        self._bar = RichProgress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._task: Any = None

    def __enter__(self) -> ImportProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._finish()
        self._bar.__exit__(kind, error, trace)

    def _finish(self) -> None:
        if self._task is not None:
            task = next(t for t in self._bar.tasks if t.id == self._task)
            total = task.total or 1
            self._bar.update(self._task, completed=total, total=total)

    def phase(self, description: str, total: int | None = None) -> None:
        self._finish()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)


@dataclass
class PreparedImport:
    """A file read, reprojected and checked record by record, ready for :func:`load`."""

    layer: Layer
    file: str
    format: str
    source_crs: str
    records: list[StagedRecord]
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)

    def report(self, *, repair: bool, dry_run: bool) -> dict[str, Any]:
        return {
            "layer": self.layer.name,
            "file": self.file,
            "format": self.format,
            "source_crs": self.source_crs,
            "records": len(self.records),
            "repair": repair,
            "dry_run": dry_run,
            "written": False,
            "inserted": 0,
            "updated": 0,
            "codes_assigned": [],
            "repairs": [],
            "warnings": list(self.warnings),
            "problems": [],
        }
