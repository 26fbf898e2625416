"""A file read and checked record by record, ready for the staging half of an import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gis.imports.layers import Layer
from gis.imports.problems import Problem
from gis.imports.record_checks import StagedRecord


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
        """The import report as it starts: what was read (file, format, source CRS,
        records), with nothing written yet; loading fills in counts, repairs and
        problems."""
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
