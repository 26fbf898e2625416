"""The demo district generator: `load(conn, scale=..., seed=...)`.

Real codes and names (national division codes) on synthetic but plausible ground: a
street lattice around Jiangnan's real location, compounds of Jiangnan's types, buildings
with households from floors and units, base grids of 300–500 households following
blocks, dedicated grids for schools, hospitals, malls and parks, service centres (some
below the area standard), three months of patrols by team (volunteers, couriers, grid
members, police, backing units) and clustered events, footways
inside the blocks, the walking network of streets and footways, and every centre's
5/10/15-minute service areas.
Deterministic for a seed; loaded with COPY, the walking network built from the streets
in SQL, all in one transaction; the service areas, derived from it, in a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import psycopg

from gis import data
from gis.access.service_areas import compute_service_areas
from gis.demo import activity, ground, land, network, places, writer
from gis.patrols import coverage
from gis.progress import SILENT, Progress

# Connections drawing service areas at once: this machine's cores, two at least.
_DRAWING_CONNECTIONS = max(2, os.cpu_count() or 1)

NANNING_COUNTIES = (
    "450102",
    "450103",
    "450105",
    "450107",
    "450108",
    "450109",
    "450110",
    "450123",
    "450124",
    "450125",
    "450126",
    "450181",
)


@dataclass(frozen=True)
class Scale:
    """How big a demo district is: its counties, target grid count, members per grid (low,
    high), where it stands, how many events to invent and how densely teams patrol (1: as
    many teams per grid as Jiangnan has; gis/demo/activity.py). ``centre_lonlat``
    (EPSG:4326) centres a lattice of blocks; None lays the district on Jiangnan's real
    outline (gis/demo/land.py)."""

    counties: tuple[str, ...]
    grids: int  # target number of grids
    members_per_grid: tuple[int, int]
    centre_lonlat: tuple[float, float] | None
    events: int
    patrols: float


SCALES = {
    # Jiangnan: 418 grids, 4,103 grid members (≈ 10 a grid); 3,578 events a year.
    "district": Scale(("450105",), 418, (7, 13), None, 3600, 1.0),
    # Nanning: 6,764 grids with 3–4 grid members each; a tenth of the district's patrolling
    # per grid keeps its load within bounds.
    "city": Scale(NANNING_COUNTIES, 6764, (3, 4), (108.32, 22.82), 40000, 0.1),
}


def build(scale: str = "district", seed: int = 2024) -> writer.District:
    """Generate the district in memory (no database)."""
    spec = SCALES[scale]
    rng = np.random.default_rng(seed)
    plan = places.plan_district(spec.counties, spec.grids, spec.members_per_grid, rng)
    if spec.centre_lonlat is None:
        ground_ = land.lay_out(plan, rng)
    else:
        ground_ = ground.lay_out(plan, spec.centre_lonlat, rng)
    events = activity.make_events(plan, ground_, spec.events, rng)
    patrols = activity.make_patrols(plan, ground_, spec.patrols, rng)
    return writer.District(plan, ground_, events, patrols, _county_names(spec.counties))


def load(
    conn: psycopg.Connection,
    *,
    scale: str = "district",
    seed: int = 2024,
    progress: Progress = SILENT,
    service_areas: bool = True,
) -> dict[str, int]:
    """Replace every place and activity in the database with a generated demo district.

    Parameters
    ----------
    conn : an open psycopg connection; the load commits on success and leaves nothing
        behind on failure.
    scale : "district" (≈ Jiangnan's 418 grids) or "city" (≈ Nanning's 6,764 grids).
    seed : the same seed always gives the same district.
    progress : told as each of :func:`load_steps` steps starts (a progress bar).
    service_areas : also compute every centre's 5/10/15-minute service areas, once the
        district is committed (derived data: if this fails the district stands and its
        centres stay queued for `onemap access compute`).

    Returns
    -------
    Row counts per table.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    progress.step("planning blocks, compounds and buildings")
    district = build(scale, seed)
    counts = writer.write(conn, district, progress)
    progress.step("walking network")
    counts.update(network.build_walking_network(conn))
    progress.step("what patrols covered: buildings, streets, 50 m cells")
    counts["patrolled_targets"] = sum(
        coverage.rebuild_targets(conn, county)["patrolled"]
        for county in sorted({s.county_code for s in district.plan.subdistricts})
    )
    conn.commit()
    if service_areas:
        progress.step("service areas (5/10/15 min)")
        # Committed first: the drawing is shared between connections, which see
        # committed centres only.
        run = compute_service_areas(conn, workers=_DRAWING_CONNECTIONS)
        counts["service_areas"] = run.areas
    return counts


def load_steps(*, service_areas: bool = True) -> int:
    """How many steps :func:`load` tells its progress (a bar's length)."""
    return writer.STEPS + 1 + (1 if service_areas else 0)


def _county_names(counties: tuple[str, ...]) -> dict[str, str]:
    rows = data.rows("guangxi_45_areas.csv")
    return {row["code"]: row["name"] for row in rows if row["code"] in counties}


__all__ = ["SCALES", "Scale", "build", "load", "load_steps"]
