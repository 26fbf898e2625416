"""What an import found wrong, and the exception that refuses the whole file."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gis.errors import OnemapError


@dataclass(frozen=True)
class Problem:
    """One offending record (or the file itself) and what is wrong with it.

    ``record`` says where the record is, in the file's own terms: ``features[3]`` for
    GeoJSON (0-based, as in the array), ``row 5`` for CSV (the spreadsheet line, the header
    being row 1), ``fid 12`` for GeoPackage, ``record 3`` for Shapefile (0-based FID);
    ``file`` or ``columns`` when the problem is the whole file. ``key`` is the record's
    code or name when it has one; ``field`` the column at fault, if one is.
    """

    record: str
    problem: str
    key: str | None = None
    field: str | None = None
    # position of the record in the file (0-based), for sorting; -1 for the whole file
    index: int = -1

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready values."""
        return asdict(self)

    def __str__(self) -> str:
        named = f" ({self.key})" if self.key else ""
        column = f" {self.field}:" if self.field else ""
        return f"{self.record}{named}:{column} {self.problem}"


class ImportRejected(OnemapError):
    """The file was refused: nothing was written. Carries every problem found and the
    import report (HTTP 422, CLI exit code 1)."""

    def __init__(self, problems: list[Problem], report: dict[str, Any] | None = None) -> None:
        ordered = sorted(problems, key=lambda p: (p.index, p.record))
        shown = "; ".join(str(p) for p in ordered[:5])
        more = f"; and {len(ordered) - 5} more" if len(ordered) > 5 else ""
        super().__init__(
            f"import refused, nothing written: {len(ordered)} problem(s): {shown}{more}"
        )
        self.problems = ordered
        self.report = dict(report or {})
        self.report["problems"] = [p.as_dict() for p in ordered]
        self.report["written"] = False

    def details(self) -> dict[str, Any]:
        """Extra members of the HTTP problem body: the whole report, problems included."""
        return self.report
