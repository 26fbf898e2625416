"""The grid audit (网格核查): is the network "横向到边、纵向到底" — no gaps, no overlaps,
every building in exactly one grid — and does every grid meet the standard?

One call answers one JSON-ready document (see docs/grids.md, "Grid audit")::

    with psycopg.connect(url) as conn:
        report = audit.audit_grids(conn, community_code="450105001001")
        report["summary"]["clean"], report["overlaps"]

Finding kinds, each a list of findings with codes, ``area_m2`` and a GeoJSON geometry:

``gaps``
    community ground no grid covers, one finding per separate piece;
``overlaps``
    pairs of grids sharing area, with the shared area;
``crossing_grids``
    grids reaching outside the community their code names (the part outside);
``stray_buildings``
    buildings whose point on surface lies in no grid (no grid's statistics count them);
``split_buildings``
    buildings that two or more grids each hold part of, with each grid's share;
``out_of_standard_grids``
    base grids outside 300–500 households whose population is not about 1,000 either;
``unstaffed_grids``
    grids with no grid leader or no grid members;
``invalid_geometries``
    grids whose outline is invalid or empty, with GEOS's reason and location;
``invalid_codes``
    grid codes the code system rejects, or whose community does not exist.

PostGIS does the spatial work with index-friendly SQL (gis/grids/sql/audit_*.sql) on temporary
tables that hold the audited scope once, with invalid outlines repaired so one bad grid
cannot abort the run. Areas are on the spheroid (``geography``), in m²; pieces of gaps,
overlaps, crossings and building shares at or below :data:`AREA_TOLERANCE_M2` are float
dust from shared edges and are not findings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from gis import codes
from gis.errors import NotFound
from gis.progress import SILENT, Progress
from gis.sql import query

# Pieces of this area or less are float dust along shared edges, not findings (m²).
AREA_TOLERANCE_M2 = 1.0
# GeoJSON coordinates in CRS84 with 7 decimals: about 1 cm on the ground.
DECIMALS = 7

FINDING_KINDS = (
    "gaps",
    "overlaps",
    "crossing_grids",
    "stray_buildings",
    "split_buildings",
    "out_of_standard_grids",
    "unstaffed_grids",
    "invalid_geometries",
    "invalid_codes",
)
# The spatial checks and the SQL file answering each (a JSON array of findings).
_QUERIES = {
    "gaps": "audit_gaps",
    "overlaps": "audit_overlaps",
    "crossing_grids": "audit_crossing",
    "stray_buildings": "audit_stray_buildings",
    "split_buildings": "audit_split_buildings",
    "out_of_standard_grids": "audit_standard",
    "unstaffed_grids": "audit_staffing",
    "invalid_geometries": "audit_invalid_geometry",
}
_SETUP = ("audit_scope_communities", "audit_scope_grids", "audit_scope_buildings")
_TEMPORARY = ("audit_loose_buildings", "audit_buildings", "audit_grids", "audit_communities")
# Progress: the three scope tables, the checks, the code check.
STEPS = len(_SETUP) + len(_QUERIES) + 1


@dataclass(frozen=True)
class Standard:
    """The base grid standard (基础网格): 300–500 resident households, or about 1,000
    people. "About" is read as 800–1,200 residents (±20 %): a grid outside the household
    band still meets the standard when its population is in that band. Bounds inclusive."""

    households_min: int = 300
    households_max: int = 500
    population_min: int = 800
    population_max: int = 1200


def _statements(name: str) -> list[str]:
    """The statements of a multi-statement file (each ends with ';' at a line's end)."""
    return [part.strip() for part in query(f"grids/{name}").split(";\n") if _has_code(part)]


def _has_code(part: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in part.splitlines())


def _community(community_code: str | None) -> str | None:
    """The normalised community code to audit, or None for everything; InvalidCode when
    it is not a 12-digit community code."""
    if community_code is None:
        return None
    return codes.parse(community_code, expect=codes.Level.COMMUNITY).value


def _params(community: str | None, standard: Standard, tolerance_m2: float) -> dict[str, Any]:
    return {
        "community": community,
        "decimals": DECIMALS,
        "tolerance_m2": tolerance_m2,
        **asdict(standard),
    }


_SCOPE_COUNTS = """
SELECT (SELECT count(*) FROM audit_communities),
       (SELECT count(*) FROM audit_grids WHERE in_scope),
       CASE WHEN %(community)s::bpchar IS NULL THEN (SELECT count(*) FROM buildings)
            ELSE (SELECT count(*) FROM audit_buildings) END
"""


def _code_problems(rows: list[tuple[str, str, bool]]) -> dict[str, tuple[str, str]]:
    """Grid code → (community code, problem) for codes gis.codes rejects or whose
    community is missing. The schema's CHECKs already hold 15 digits, the community
    prefix and the serial range by type; what is left is the county part."""
    problems: dict[str, tuple[str, str]] = {}
    for grid_code, community_code, community_exists in rows:
        try:
            codes.validate_grid(grid_code, community_code=community_code)
        except codes.InvalidCode as error:
            problems[grid_code] = (community_code, error.problem)
            continue
        if not community_exists:
            problems[grid_code] = (
                community_code,
                f"names community {community_code}, which does not exist",
            )
    return problems


def _code_findings(
    problems: dict[str, tuple[str, str]], places: list[tuple[str, Any, Any]]
) -> list[dict[str, Any]]:
    where = {grid_code: (area, point) for grid_code, area, point in places}
    return [
        {
            "grid_code": grid_code,
            "community_code": community_code,
            "problem": problem,
            "area_m2": float(where[grid_code][0]),
            "geometry": where[grid_code][1],
        }
        for grid_code, (community_code, problem) in sorted(problems.items())
    ]


def _document(
    community: str | None,
    standard: Standard,
    tolerance_m2: float,
    scope: tuple[int, int, int],
    findings: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    counts = {kind: len(findings[kind]) for kind in FINDING_KINDS}
    total = sum(counts.values())

    def area(kind: str) -> float:
        return round(sum(float(f["area_m2"]) for f in findings[kind]), 2)

    communities, grids, buildings = scope
    return {
        "audit": "grids",
        "community_code": community,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rules": {
            "area_tolerance_m2": tolerance_m2,
            "households": [standard.households_min, standard.households_max],
            "population_about_1000": [standard.population_min, standard.population_max],
            "placement": "a building or compound belongs to the grid containing its "
            "ST_PointOnSurface; on a shared edge or in an overlap, the lowest grid code",
            "areas": "m² on the WGS 84 spheroid (PostGIS geography)",
            "coordinates": f"GeoJSON, CRS84 longitude/latitude, {DECIMALS} decimals",
        },
        "summary": {
            "clean": total == 0,
            "findings": total,
            "communities": communities,
            "grids": grids,
            "buildings": buildings,
            **counts,
            "gap_area_m2": area("gaps"),
            "overlap_area_m2": area("overlaps"),
            "crossing_area_m2": area("crossing_grids"),
        },
        **{kind: findings[kind] for kind in FINDING_KINDS},
    }


def audit_grids(
    conn: psycopg.Connection,
    *,
    community_code: str | None = None,
    standard: Standard | None = None,
    tolerance_m2: float = AREA_TOLERANCE_M2,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Audit the grids of one community (or of the whole database) and return the report.

    Parameters
    ----------
    conn
        A psycopg connection; the audit only reads (its scratch tables are temporary and
        dropped before it returns).
    community_code
        12-digit community code to audit (its ground, its grids and the buildings coded
        to it or lying in it); None audits everything.
    standard
        Household and population bands of a base grid; :class:`Standard` by default.
    tolerance_m2
        Pieces of this area or less (m²) are not findings.
    progress
        Told each of :data:`STEPS` steps as it starts (a progress bar).

    Returns
    -------
    The audit document: ``summary`` (counts, total areas in m², ``clean``), ``rules``
    and one list per finding kind (see the module docstring and docs/grids.md).

    Raises
    ------
    InvalidCode
        ``community_code`` is not a community code.
    NotFound
        No community has that code.
    """
    standard = standard or Standard()
    community = _community(community_code)
    params = _params(community, standard, tolerance_m2)
    with conn.transaction():
        if community is not None:
            found = conn.execute(
                "SELECT 1 FROM communities WHERE community_code = %s", (community,)
            ).fetchone()
            if found is None:
                raise NotFound(f"no community {community}")
        for name in _SETUP:
            progress.step(f"scope: {name.removeprefix('audit_scope_')}")
            for statement in _statements(name):
                conn.execute(statement, params, prepare=False)
        scope_row = conn.execute(_SCOPE_COUNTS, params, prepare=False).fetchone()
        assert scope_row is not None
        findings: dict[str, list[dict[str, Any]]] = {}
        for kind, name in _QUERIES.items():
            progress.step(kind.replace("_", " "))
            row = conn.execute(query(f"grids/{name}"), params, prepare=False).fetchone()
            assert row is not None  # an aggregate always answers one row
            findings[kind] = row[0]
        progress.step("codes")
        problems = _code_problems(conn.execute(query("grids/audit_codes"), params).fetchall())
        places = conn.execute(
            query("grids/audit_code_findings"), {**params, "grid_codes": list(problems)}
        ).fetchall()
        findings["invalid_codes"] = _code_findings(problems, places)
        conn.execute(f"DROP TABLE {', '.join(_TEMPORARY)}")
    return _document(community, standard, tolerance_m2, tuple(scope_row), findings)
