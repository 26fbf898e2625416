"""One network from seven (多网合一): how an older system's grids map onto onemap's grids.

Seven grid systems were merged into one: party building 党建, comprehensive governance
综治, civil affairs 民政, urban management 城管, petitions 信访, emergency management
应急管理 and epidemic control 防疫. Their records still carry their own grid ids.
:func:`crosswalk` loads one system's grid layer into a temporary table of the session
(nothing persists) and lets PostGIS intersect it with the unified grids and the
communities, giving for every unified grid the legacy grids in it, and for every legacy
grid the unified grids and communities it falls in, with shares of area both ways.

Slivers. Two layers digitised apart never share their lines exactly, so every legacy
grid grazes its neighbours' ground. A part of a legacy grid is a *sliver* when it is at
most ``sliver_share`` (1 %) of the legacy grid's area or at most ``sliver_m2`` (10 m²):
both tests must pass for a part to count. A legacy grid is *split across communities*
when more than one community holds a part of it that is not a sliver, and it lies *partly
outside* the unified grids when its part outside every unified grid is not a sliver.
Areas are geodesic (PostGIS geography on the WGS84 spheroid), in m².
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import psycopg
import shapely

from gis.errors import InvalidParameter, OnemapError
from gis.sql import query

# The seven systems merged into one network, and their English names.
SYSTEMS = {
    "党建": "party_building",
    "综治": "comprehensive_governance",
    "民政": "civil_affairs",
    "城管": "urban_management",
    "信访": "petitions",
    "应急管理": "emergency_management",
    "防疫": "epidemic_control",
}
_ALIASES = {
    **{english: chinese for chinese, english in SYSTEMS.items()},
    "综合治理": "综治",
    "应急": "应急管理",
    "疫情防控": "防疫",
    "party": "党建",
    "governance": "综治",
    "urban": "城管",
    "emergency": "应急管理",
    "epidemic": "防疫",
}
# Columns tried in turn for the legacy grid's id when none is named.
ID_FIELDS = ("id", "code", "编码", "网格编码", "name")
SLIVER_SHARE = 0.01
SLIVER_M2 = 10.0


class LegacyLayerError(OnemapError):
    """The legacy layer cannot be cross-walked; ``problems`` names each record at fault."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        super().__init__(f"legacy layer refused: {shown}{more}")
        self.problems = problems


@dataclass(frozen=True)
class Overlap:
    """A legacy grid's part in one unified grid or community (or the reverse)."""

    code: str
    name: str
    community_code: str
    overlap_m2: float
    share_of_legacy: float  # of the legacy grid's area
    share_of_other: float  # of the unified grid's (or community's) area
    sliver: bool


@dataclass(frozen=True)
class LegacyGrid:
    """A grid of a legacy system and where it falls among the unified grids and communities;
    areas in m² (EPSG:4545)."""

    legacy_id: str
    area_m2: float
    repaired: bool  # the geometry was invalid and PostGIS made it valid
    grids: tuple[Overlap, ...]
    communities: tuple[Overlap, ...]
    outside_m2: float
    split_across_communities: bool
    partly_outside: bool

    @property
    def outside_share(self) -> float:
        """Share (0–1) of the legacy grid's area outside every community."""
        return self.outside_m2 / self.area_m2 if self.area_m2 else 0.0


@dataclass(frozen=True)
class UnifiedGrid:
    """A unified grid and the legacy grids overlapping it; area in m² (EPSG:4545)."""

    grid_code: str
    name: str
    community_code: str
    area_m2: float
    legacy: tuple[Overlap, ...] = field(default=())

    @property
    def legacy_share(self) -> float:
        """Share of the grid's area that legacy grids cover (above 1 where they overlap
        one another)."""
        return sum(part.share_of_other for part in self.legacy)


@dataclass(frozen=True)
class Crosswalk:
    """How one legacy system's grids map onto the unified grids, both ways, with the sliver
    thresholds used (share 0–1 and m²)."""

    system: str
    system_en: str
    id_field: str
    sliver_share: float
    sliver_m2: float
    legacy: tuple[LegacyGrid, ...]
    unified: tuple[UnifiedGrid, ...]

    def summary(self) -> dict[str, Any]:
        """Counts for a planner: legacy grids, unified grids touched, and the legacy grids
        split, partly outside or entirely outside the communities."""
        return {
            "system": self.system,
            "system_en": self.system_en,
            "legacy_grids": len(self.legacy),
            "unified_grids_touched": len(self.unified),
            "split_across_communities": sum(g.split_across_communities for g in self.legacy),
            "partly_outside": sum(g.partly_outside for g in self.legacy),
            "entirely_outside": sum(not g.grids for g in self.legacy),
            "repaired_geometries": sum(g.repaired for g in self.legacy),
        }

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""

        def part(overlap: Overlap, other: str) -> dict[str, Any]:
            data = asdict(overlap)
            data[f"share_of_{other}"] = round(data.pop("share_of_other"), 6)
            data["share_of_legacy"] = round(data["share_of_legacy"], 6)
            data["overlap_m2"] = round(data["overlap_m2"], 2)
            return data

        return {
            "system": self.system,
            "system_en": self.system_en,
            "id_field": self.id_field,
            "sliver": {"share_of_legacy": self.sliver_share, "m2": self.sliver_m2},
            "summary": self.summary(),
            "legacy_grids": [
                {
                    "legacy_id": g.legacy_id,
                    "area_m2": round(g.area_m2, 2),
                    "repaired": g.repaired,
                    "split_across_communities": g.split_across_communities,
                    "partly_outside": g.partly_outside,
                    "outside_m2": round(g.outside_m2, 2),
                    "outside_share": round(g.outside_share, 6),
                    "grids": [
                        {"grid_code": p["code"], **_without(p, "code")}
                        for p in (part(o, "grid") for o in g.grids)
                    ],
                    "communities": [
                        {"community_code": p["code"], **_without(p, "code", "community_code")}
                        for p in (part(o, "community") for o in g.communities)
                    ],
                }
                for g in self.legacy
            ],
            "unified_grids": [
                {
                    "grid_code": u.grid_code,
                    "name": u.name,
                    "community_code": u.community_code,
                    "area_m2": round(u.area_m2, 2),
                    "legacy_share": round(u.legacy_share, 6),
                    "legacy": [
                        {"legacy_id": p["code"], **_without(p, "code", "name", "community_code")}
                        for p in (part(o, "grid") for o in u.legacy)
                    ],
                }
                for u in self.unified
            ],
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per legacy grid and unified grid it overlaps, plus one per legacy
        grid for its part outside every unified grid (empty grid_code)."""
        rows: list[dict[str, Any]] = []
        for g in self.legacy:
            common = {
                "system": self.system,
                "legacy_id": g.legacy_id,
                "legacy_area_m2": round(g.area_m2, 2),
                "split_across_communities": g.split_across_communities,
            }
            for o in g.grids:
                rows.append(
                    {
                        **common,
                        "grid_code": o.code,
                        "community_code": o.community_code,
                        "overlap_m2": round(o.overlap_m2, 2),
                        "share_of_legacy": round(o.share_of_legacy, 6),
                        "share_of_grid": round(o.share_of_other, 6),
                        "sliver": o.sliver,
                    }
                )
            if g.outside_m2 > 0:
                rows.append(
                    {
                        **common,
                        "grid_code": "",
                        "community_code": "",
                        "overlap_m2": round(g.outside_m2, 2),
                        "share_of_legacy": round(g.outside_share, 6),
                        "share_of_grid": "",
                        "sliver": not g.partly_outside,
                    }
                )
        return rows


CSV_COLUMNS = (
    "system",
    "legacy_id",
    "legacy_area_m2",
    "grid_code",
    "community_code",
    "overlap_m2",
    "share_of_legacy",
    "share_of_grid",
    "sliver",
    "split_across_communities",
)


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def system_name(text: str) -> str:
    """The Chinese name of one of the seven systems, from it or an English alias.

    Raises
    ------
    InvalidParameter naming the systems there are.
    """
    spelled = text.strip()
    if spelled in SYSTEMS:
        return spelled
    found = _ALIASES.get(spelled.lower().replace("-", "_").replace(" ", "_"))
    if found is None:
        known = ", ".join(f"{name} ({english})" for name, english in SYSTEMS.items())
        raise InvalidParameter("system", f"unknown grid system {text!r}; one of {known}")
    return found


def pick_id_field(columns: list[str], id_field: str | None) -> str:
    """The named id column, or the first of ID_FIELDS present (case-insensitively).

    Raises
    ------
    LegacyLayerError when the column is missing or none of ID_FIELDS is present.
    """
    if id_field is not None:
        if id_field not in columns:
            raise LegacyLayerError(
                [f"no column {id_field!r} for the grid id; columns are {', '.join(columns)}"]
            )
        return id_field
    lowered = {column.lower(): column for column in reversed(columns)}
    for candidate in ID_FIELDS:
        if candidate in lowered:
            return lowered[candidate]
    raise LegacyLayerError(
        [
            f"no id column (tried {', '.join(ID_FIELDS)}); name one with --id-field;"
            f" columns are {', '.join(columns) or '(none)'}"
        ]
    )


def legacy_ids(legacy: gpd.GeoDataFrame, id_field: str) -> list[str]:
    """Validate the layer (ids present and unique, polygons, EPSG:4326 lon/lat) and
    return its ids as text; the index names each record in messages.

    Raises
    ------
    LegacyLayerError listing every record at fault.
    """
    if len(legacy) == 0:
        raise LegacyLayerError(["the legacy layer has no grids"])
    if (
        legacy.crs is not None
        and legacy.crs.to_epsg() != 4326
        and not legacy.crs.equals("OGC:CRS84")
    ):
        raise LegacyLayerError(
            [f"the layer is in {legacy.crs.to_string()}; reproject it to EPSG:4326 first"]
        )
    problems: list[str] = []
    ids: list[str] = []
    first_record: dict[str, Any] = {}
    for record, value, geometry in zip(
        legacy.index, legacy[id_field], legacy.geometry, strict=True
    ):
        text = "" if value is None or value != value else str(value).strip()  # NaN != NaN
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]  # a spreadsheet's number
        if not text:
            problems.append(f"{record}: empty {id_field}")
        elif text in first_record:
            problems.append(
                f"{record}: {id_field} {text!r} repeats {first_record[text]}; ids must be unique"
            )
        else:
            first_record[text] = record
        ids.append(text)
        named = f"{record} ({text})" if text else str(record)
        if geometry is None or geometry.is_empty:
            problems.append(f"{named}: no geometry")
        elif geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{named}: a {geometry.geom_type}, not a polygon; grids are areas")
    if not problems:
        minx, miny, maxx, maxy = shapely.total_bounds(legacy.geometry.values)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(
                f"coordinates span {minx:.0f},{miny:.0f} to {maxx:.0f},{maxy:.0f}: not"
                " longitude/latitude; give the layer's CRS"
            )
    if problems:
        raise LegacyLayerError(problems)
    return ids


def crosswalk(
    conn: psycopg.Connection,
    legacy: gpd.GeoDataFrame,
    *,
    system: str,
    id_field: str | None = None,
    sliver_share: float = SLIVER_SHARE,
    sliver_m2: float = SLIVER_M2,
) -> Crosswalk:
    """Map one older system's grids onto the unified grids and communities.

    Parameters
    ----------
    conn : open psycopg connection; the legacy layer goes into a temporary table of one
        transaction and nothing persists.
    legacy : the system's grids, polygons in EPSG:4326; the index names records in
        messages (e.g. ``features[3]``).
    system : one of the seven systems (Chinese name or English alias, see SYSTEMS).
    id_field : the column holding the legacy grid id; default the first of ID_FIELDS.
    sliver_share, sliver_m2 : a part at most this share of the legacy grid's area, or at
        most this many m², is a sliver (see the module's docstring).

    Raises
    ------
    InvalidParameter for an unknown system; LegacyLayerError for a layer without ids,
    with duplicate or empty ids, non-polygon or missing geometries, or not in lon/lat.
    """
    chinese = system_name(system)
    column = pick_id_field([str(c) for c in legacy.columns if c != legacy.geometry.name], id_field)
    ids = legacy_ids(legacy, column)
    ewkb = shapely.to_wkb(
        shapely.set_srid(legacy.geometry.values, 4326), hex=True, include_srid=True
    )
    with conn.transaction():
        conn.execute("DROP TABLE IF EXISTS pg_temp.crosswalk_legacy_raw, pg_temp.crosswalk_legacy")
        conn.execute(
            "CREATE TEMP TABLE crosswalk_legacy_raw"
            " (legacy_id text PRIMARY KEY, ordinal int NOT NULL, geom geometry NOT NULL)"
            " ON COMMIT DROP"
        )
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY crosswalk_legacy_raw (legacy_id, ordinal, geom) FROM STDIN") as copy,
        ):
            for ordinal, (legacy_id, geometry) in enumerate(zip(ids, ewkb, strict=True)):
                copy.write_row((legacy_id, ordinal, geometry))
        conn.execute(query("grids/crosswalk_legacy"))
        conn.execute("CREATE INDEX ON crosswalk_legacy USING gist (geom)")
        conn.execute("ANALYZE crosswalk_legacy")
        areas = conn.execute(query("grids/crosswalk_legacy_areas")).fetchall()
        overlaps = conn.execute(query("grids/crosswalk_overlaps")).fetchall()
        conn.execute("DROP TABLE crosswalk_legacy_raw, crosswalk_legacy")
    return _report(chinese, column, areas, overlaps, sliver_share, sliver_m2)


def _report(
    system: str,
    id_field: str,
    areas: list[tuple[Any, ...]],
    overlaps: list[tuple[Any, ...]],
    sliver_share: float,
    sliver_m2: float,
) -> Crosswalk:
    area_of = {row[0]: float(row[3]) for row in areas}

    def is_sliver(part_m2: float, whole_m2: float) -> bool:
        return part_m2 <= sliver_m2 or part_m2 <= sliver_share * whole_m2

    grids_of: dict[str, list[Overlap]] = defaultdict(list)
    communities_of: dict[str, list[Overlap]] = defaultdict(list)
    unified: dict[str, tuple[str, str, float]] = {}
    legacy_in: dict[str, list[Overlap]] = defaultdict(list)
    for kind, legacy_id, code, community_code, name, other_m2, overlap_m2 in overlaps:
        overlap_m2 = float(overlap_m2)
        if overlap_m2 <= 0:
            continue  # the two only touch along a line or at a point
        legacy_m2 = area_of[legacy_id]
        share_of_legacy = overlap_m2 / legacy_m2 if legacy_m2 else 0.0
        share_of_other = overlap_m2 / float(other_m2) if other_m2 else 0.0
        sliver = is_sliver(overlap_m2, legacy_m2)
        part = Overlap(
            code, name, community_code, overlap_m2, share_of_legacy, share_of_other, sliver
        )
        if kind == "grid":
            grids_of[legacy_id].append(part)
            unified[code] = (name, community_code, float(other_m2))
            legacy_in[code].append(
                Overlap(
                    legacy_id,
                    "",
                    community_code,
                    overlap_m2,
                    share_of_legacy,
                    share_of_other,
                    # seen from the unified grid, a sliver of the grid's own area
                    is_sliver(overlap_m2, float(other_m2)),
                )
            )
        else:
            communities_of[legacy_id].append(part)

    def largest_first(parts: list[Overlap]) -> tuple[Overlap, ...]:
        return tuple(sorted(parts, key=lambda p: (-p.overlap_m2, p.code)))

    legacy = tuple(
        LegacyGrid(
            legacy_id=legacy_id,
            area_m2=float(area_m2),
            repaired=bool(repaired),
            grids=largest_first(grids_of[legacy_id]),
            communities=largest_first(communities_of[legacy_id]),
            outside_m2=float(outside_m2),
            split_across_communities=sum(not p.sliver for p in communities_of[legacy_id]) > 1,
            partly_outside=not is_sliver(float(outside_m2), float(area_m2)),
        )
        for legacy_id, _, repaired, area_m2, outside_m2 in areas
    )
    grids = tuple(
        UnifiedGrid(code, name, community_code, area_m2, largest_first(legacy_in[code]))
        for code, (name, community_code, area_m2) in sorted(unified.items())
    )
    return Crosswalk(
        system=system,
        system_en=SYSTEMS[system],
        id_field=id_field,
        sliver_share=sliver_share,
        sliver_m2=sliver_m2,
        legacy=legacy,
        unified=grids,
    )
