"""Grid delineation (划网定格): propose base grids for a community, and apply a proposal.

:func:`delineate` cuts the community's base area (the community less its dedicated grids
800–999, which keep their ground) into street blocks (:mod:`gis.grids.blocks`), groups
whole blocks into contiguous, compact grids of 300–500 households
(:mod:`gis.grids.regions`) and numbers them 001… west→east, north→south. It only reads.

:func:`apply` replaces the community's base grids with a proposal in one transaction:
building codes are keyed to the community and do not change; events that pointed at an
old grid are placed in the new grid covering their point; grid members' tokens follow
their old grid's ground; the grids are checked to tile the community before the commit.

Team sizes of the new grids: 1 leader (网格长) and 1 instructor (网格指导员) each, as the
standard team has; the grid members (网格员) of the old base grids are kept in number and
shared out over the new grids in proportion to households (largest remainder), so a
redraw neither creates nor loses members.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from gis import codes
from gis.errors import NotFound, OnemapError
from gis.grids.blocks import drop_blocks, make_blocks, region_shapes, unplaced_buildings
from gis.grids.regions import regionalise
from gis.progress import SILENT, Progress
from gis.sql import query

MIN_HOUSEHOLDS = 300
MAX_HOUSEHOLDS = 500
# Grids are numbered west→east within north→south rows of this height, metres (the demo
# district numbers its grids the same way).
ROW_BAND_M = 360.0
# After --apply the grids must tile the community to within this, m².
TILING_TOLERANCE_M2 = 1.0


class DelineationError(OnemapError):
    """A community cannot be delineated, or a proposal cannot be applied."""


@dataclass(frozen=True)
class ProposedGrid:
    """One proposed base grid; ``geometry`` is GeoJSON in EPSG:4326."""

    grid_code: str
    households: int
    population: int
    buildings: int
    blocks: int
    area_m2: float
    compactness: float  # Polsby-Popper 4πA/P²: 1 for a disc, ≈0.785 for a square
    parts: int
    geometry: dict[str, Any]
    ewkb: bytes = field(repr=False)
    building_codes: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class Delineation:
    """A proposal for one community's base grids."""

    community_code: str
    community_name: str
    min_households: int
    max_households: int
    seed: int
    grids: tuple[ProposedGrid, ...]
    old_base_grids: tuple[str, ...]
    dedicated_grids: tuple[str, ...]
    blocks: int
    divided_blocks: int
    unplaced_buildings: tuple[str, ...]
    fingerprint: str = field(default="", repr=False)  # of the grids and buildings used

    @property
    def households(self) -> int:
        """Households in all proposed grids."""
        return sum(g.households for g in self.grids)

    def within_bounds(self, grid: ProposedGrid) -> bool:
        """Whether ``grid`` holds between the minimum and maximum households."""
        return self.min_households <= grid.households <= self.max_households

    @property
    def share_within_bounds(self) -> float:
        """Share (0–1) of the proposed grids within the household bounds; 0 with no grids."""
        if not self.grids:
            return 0.0
        return sum(self.within_bounds(g) for g in self.grids) / len(self.grids)

    def summary(self) -> dict[str, Any]:
        """The proposal in figures: grid count, how many are within bounds, and household
        spread."""
        households = [g.households for g in self.grids]
        return {
            "community_code": self.community_code,
            "community_name": self.community_name,
            "bounds_households": [self.min_households, self.max_households],
            "proposed_grids": len(self.grids),
            "within_bounds": sum(self.within_bounds(g) for g in self.grids),
            "share_within_bounds": round(self.share_within_bounds, 4),
            "households": self.households,
            "households_min": min(households, default=0),
            "households_median": float(np.median(households)) if households else 0.0,
            "households_max": max(households, default=0),
            "compactness_mean": round(float(np.mean([g.compactness for g in self.grids])), 4)
            if self.grids
            else 0.0,
            "buildings": sum(g.buildings for g in self.grids),
            "blocks": self.blocks,
            "divided_blocks": self.divided_blocks,
            "old_base_grids": len(self.old_base_grids),
            "dedicated_grids_kept": len(self.dedicated_grids),
            "unplaced_buildings": list(self.unplaced_buildings),
            "seed": self.seed,
        }

    def feature_collection(self) -> dict[str, Any]:
        """The proposal as a GeoJSON FeatureCollection (EPSG:4326)."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": g.grid_code,
                    "geometry": g.geometry,
                    "properties": {
                        "grid_code": g.grid_code,
                        "community_code": self.community_code,
                        "grid_type": "base",
                        "households": g.households,
                        "population": g.population,
                        "buildings": g.buildings,
                        "blocks": g.blocks,
                        "area_m2": round(g.area_m2, 1),
                        "compactness": round(g.compactness, 4),
                        "within_bounds": self.within_bounds(g),
                    },
                }
                for g in self.grids
            ],
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class AppliedDelineation:
    """What :func:`apply` changed."""

    community_code: str
    removed_grids: tuple[str, ...]
    created_grids: tuple[str, ...]
    events_replaced: int
    events_placed_by_distance: int
    tokens_moved: int
    people_moved: int
    members: int
    mismatch_m2: float
    overlap_m2: float


def delineate(
    conn: psycopg.Connection,
    *,
    community_code: str,
    min_households: int = MIN_HOUSEHOLDS,
    max_households: int = MAX_HOUSEHOLDS,
    seed: int = 0,
    progress: Progress = SILENT,
) -> Delineation:
    """Propose base grids for a community, writing nothing.

    Parameters
    ----------
    conn : open psycopg connection; only temporary tables are created, and dropped.
    community_code : 12-digit community code.
    min_households, max_households : bounds of a base grid, households (300–500).
    seed : seeds the regionalisation; the same data and seed give the same proposal.
    progress : told as each stage starts (a progress display).

    Returns
    -------
    The proposal. A community with fewer than ``min_households`` households gets one grid.

    Raises
    ------
    InvalidCode for a malformed community code; NotFound for an unknown community;
    DelineationError when the community has no base area or would need > 799 grids.
    """
    community = codes.parse(community_code, expect=codes.Level.COMMUNITY).value
    if not 0 < min_households <= max_households:
        raise DelineationError(
            f"household bounds {min_households}–{max_households} are not a range above zero"
        )
    with conn.transaction():
        row = conn.execute(
            "SELECT name FROM communities WHERE community_code = %s", (community,)
        ).fetchone()
        if row is None:
            raise NotFound(f"community {community} does not exist")
        grid_rows = conn.execute(
            "SELECT grid_code::text, grid_type FROM grids WHERE community_code = %s"
            " ORDER BY grid_code",
            (community,),
        ).fetchall()
        progress.step("cutting street blocks")
        blocks = make_blocks(conn, community_code=community, max_households=max_households)
        if len(blocks.block_ids) == 0:
            drop_blocks(conn)
            raise DelineationError(
                f"community {community} has no base area: dedicated grids cover all of it"
            )
        progress.step("grouping blocks into grids")
        if int(blocks.households.sum()) < min_households:
            regions = np.zeros(len(blocks.block_ids), dtype=np.int64)
        else:
            regions = regionalise(
                blocks.households,
                blocks.xy,
                blocks.edges,
                min_households=min_households,
                max_households=max_households,
                seed=seed,
            )
        progress.step("drawing the grids")
        shapes = region_shapes(conn, blocks, regions)
        unplaced = unplaced_buildings(conn, community)
        drop_blocks(conn)
        fingerprint = _fingerprint(conn, community)
    if len(shapes) > len(codes.BASE_SERIALS):
        raise DelineationError(
            f"community {community} would need {len(shapes)} base grids; codes allow 799"
        )
    ordered = sorted(shapes, key=lambda s: (-math.floor(s.y / ROW_BAND_M), s.x, s.region))
    grids = tuple(
        ProposedGrid(
            grid_code=codes.grid_code(community, serial),
            households=shape.households,
            population=shape.population,
            buildings=len(shape.building_codes),
            blocks=shape.blocks,
            area_m2=shape.area_m2,
            compactness=shape.compactness,
            parts=shape.parts,
            geometry=shape.geometry,
            ewkb=shape.ewkb,
            building_codes=shape.building_codes,
        )
        for serial, shape in enumerate(ordered, start=1)
    )
    return Delineation(
        community_code=community,
        community_name=row[0],
        min_households=min_households,
        max_households=max_households,
        seed=seed,
        grids=grids,
        old_base_grids=tuple(code for code, kind in grid_rows if kind == "base"),
        dedicated_grids=tuple(code for code, kind in grid_rows if kind == "dedicated"),
        blocks=len(blocks.block_ids),
        divided_blocks=blocks.divided,
        unplaced_buildings=tuple(unplaced),
        fingerprint=fingerprint,
    )


def apply(conn: psycopg.Connection, delineation: Delineation) -> AppliedDelineation:
    """Replace the community's base grids with the proposal, in one transaction.

    Raises
    ------
    DelineationError when the community's grids changed since the proposal was made, a
    table other than events refers to an old grid, or the new grids would not tile the
    community (nothing is changed then).
    """
    community = delineation.community_code
    old = list(delineation.old_base_grids)
    with conn.transaction():
        current = conn.execute(
            "SELECT grid_code::text, grid_type, members FROM grids WHERE community_code = %s"
            " ORDER BY grid_code FOR UPDATE",
            (community,),
        ).fetchall()
        if _fingerprint(conn, community) != delineation.fingerprint:
            raise DelineationError(
                f"the grids or buildings of community {community} changed since the proposal"
                " was made; propose again"
            )
        members_total = sum(members for _, kind, members in current if kind == "base")
        members = _share_out(members_total, [g.households for g in delineation.grids])
        _refuse_other_references(conn, old)
        new_codes = [g.grid_code for g in delineation.grids]
        token_moves = conn.execute(
            query("grids/delineate_token_grids"),
            {
                "old_codes": old,
                "new_codes": new_codes,
                "new_geoms": [g.ewkb for g in delineation.grids],
            },
        ).fetchall()
        event_ids = [
            row[0]
            for row in conn.execute(
                "UPDATE events SET grid_code = NULL WHERE grid_code = ANY(%s) RETURNING event_id",
                (old,),
            ).fetchall()
        ]
        conn.execute("DELETE FROM grids WHERE grid_code = ANY(%s)", (old,))
        name_row = conn.execute(
            "SELECT name, county_code FROM communities WHERE community_code = %s", (community,)
        ).fetchone()
        assert name_row is not None  # the FOR UPDATE above found its grids
        short_name = _short_name(name_row[0])
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type,"
                " dedicated_kind, leaders, instructors, members, geom)"
                " VALUES (%s, %s, %s, %s, 'base', NULL, 1, 1, %s, ST_GeomFromEWKB(%s))",
                [
                    (
                        g.grid_code,
                        community,
                        name_row[1],
                        f"{short_name}第{int(g.grid_code[-3:])}网格",
                        members[i],
                        g.ewkb,
                    )
                    for i, g in enumerate(delineation.grids)
                ],
            )
        placed = conn.execute(
            query("grids/delineate_place_events"),
            {"community_code": community, "event_ids": event_ids},
        ).fetchall()
        tokens_moved = 0
        for old_code, new_code in token_moves:
            cursor_result = conn.execute(
                "UPDATE api_tokens SET grid_code = %s"
                " WHERE grid_code = %s AND role = 'grid_member'",
                (new_code, old_code),
            )
            tokens_moved += cursor_result.rowcount
        # people serving a replaced grid serve the grid that took its place
        people_moved = 0
        for old_code, new_code in token_moves:
            cursor_result = conn.execute(
                "WITH moved AS (DELETE FROM person_grids WHERE grid_code = %s"
                " RETURNING person_id, county_code)"
                " INSERT INTO person_grids (person_id, county_code, grid_code)"
                " SELECT person_id, county_code, %s FROM moved ON CONFLICT DO NOTHING",
                (old_code, new_code),
            )
            people_moved += cursor_result.rowcount
        tiling = conn.execute(
            query("grids/delineate_tiling"), {"community_code": community}
        ).fetchone()
        assert tiling is not None
        mismatch, overlap = float(tiling[0] or 0.0), float(tiling[1] or 0.0)
        if mismatch > TILING_TOLERANCE_M2 or overlap > TILING_TOLERANCE_M2:
            raise DelineationError(
                f"the new grids of community {community} would not tile it: {mismatch:.1f} m²"
                f" of gap or spill, {overlap:.1f} m² of overlap; nothing was changed"
            )
    return AppliedDelineation(
        community_code=community,
        removed_grids=tuple(old),
        created_grids=tuple(new_codes),
        events_replaced=len(placed),
        events_placed_by_distance=sum(1 for _, covers in placed if not covers),
        tokens_moved=tokens_moved,
        people_moved=people_moved,
        members=sum(members),
        mismatch_m2=mismatch,
        overlap_m2=overlap,
    )


def _fingerprint(conn: psycopg.Connection, community: str) -> str:
    row = conn.execute(
        query("grids/delineate_fingerprint"), {"community_code": community}
    ).fetchone()
    return str(row[0]) if row else ""


def _share_out(total: int, households: list[int]) -> list[int]:
    """``total`` members shared in proportion to households (largest remainder); evenly
    when no grid has households."""
    if not households:
        return []
    weights = np.array(households, dtype=float)
    if weights.sum() <= 0:
        weights = np.ones(len(households))
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return [int(c) for c in counts]


def _short_name(name: str) -> str:
    """The community's name without its committee suffix, as grid names use it."""
    for suffix in ("居委会", "委员会", "村委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _refuse_other_references(conn: psycopg.Connection, old: list[str]) -> None:
    """Events are re-placed, and rows that cascade with their grid (grid_statistics,
    rebuilt by its triggers) follow by themselves; any other table whose foreign key
    points at an old grid would block the redraw or lose its grid, so it is named
    rather than silently broken."""
    references = conn.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname
        FROM pg_constraint AS c
        -- the column that holds the grid code (the key's other column is the county)
        JOIN unnest(c.conkey, c.confkey) AS k(attnum, grid_attnum) ON true
        JOIN pg_attribute AS g ON g.attrelid = c.confrelid AND g.attnum = k.grid_attnum
                              AND g.attname = 'grid_code'
        JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.contype = 'f' AND c.confrelid = 'grids'::regclass AND c.confdeltype <> 'c'
        ORDER BY 1, 2
        """
    ).fetchall()
    for table, column in references:
        if (table, column) == ("events", "grid_code"):
            continue
        query = sql.SQL("SELECT count(*) FROM {} WHERE {} = ANY(%s)").format(
            sql.Identifier(*table.split(".")), sql.Identifier(column)
        )
        found = conn.execute(query, (old,)).fetchone()
        if found and found[0]:
            raise DelineationError(
                f"{found[0]} rows of {table}.{column} refer to the old grids of"
                f" {old[0][:12]}; re-place them before redrawing the grids"
            )
