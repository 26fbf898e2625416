"""Coordinates for a demo plan: cells on the ground, the streets between them and every
polygon built from them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer

from gis.demo.lattice import Lattice, hilbert_cells, order_for, quads
from gis.demo.places import Plan

METRIC_CRS = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E
CELL_M = 180.0  # a street block, centreline to centreline
TRACT = 4  # blocks a side of a tract, the unit of land on real ground (720 m)
STREET_MARGIN = 0.05  # half a street, in cell units: blocks stop short of the centreline
PRIMARY_STREETS = (
    "江南大道",
    "星光大道",
    "白沙大道",
    "亭洪路",
    "那洪大道",
    "五一西路",
    "壮锦大道",
    "淡村路",
    "南建路",
    "福建园路",
    "石柱岭路",
    "友谊路",
    "沙井大道",
    "明阳大道",
    "吴圩路",
    "苏圩路",
    "延安路",
    "江西路",
    "体强路",
    "智和路",
)


@dataclass(frozen=True)
class Street:
    """A street segment between two lattice vertices (column, row): its class, name, and a
    planned cell beside it (None for a rural road with nothing built beside it)."""

    edge: tuple[tuple[int, int], tuple[int, int]]
    street_class: str
    name: str | None
    cell: int | None


@dataclass
class Ground:
    """The planned cells laid on the ground: the lattice, each cell's (column, row), its four
    metric corners (EPSG:4545), the transformer to EPSG:4326 and the streets; on real ground
    also the land no planned cell stands on (metric polygons, each with the grid it joins),
    the bridges and the water (metric)."""

    lattice: Lattice
    cells: np.ndarray  # (n, 2) lattice column, row of each planned cell
    corners: np.ndarray  # (n, 4, 2) metric corners of each cell
    to_wgs84: Transformer
    streets: list[Street] = field(default_factory=list)
    land: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    land_grid: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    bridges: list[tuple[str, shapely.Geometry]] = field(default_factory=list)
    water: list[tuple[str, shapely.Geometry]] = field(default_factory=list)

    @property
    def cell_index(self) -> dict[tuple[int, int], int]:
        """Index of each planned cell by its lattice (column, row)."""
        return {(int(c), int(r)): i for i, (c, r) in enumerate(self.cells)}

    def wgs84(self, geometries: np.ndarray) -> np.ndarray:
        """Metric geometries → EPSG:4326. Each vertex is transformed on its own, so
        vertices shared by neighbours stay identical and tilings stay exact."""

        def project(xy: np.ndarray) -> np.ndarray:
            lon, lat = self.to_wgs84.transform(xy[:, 0], xy[:, 1])
            return np.stack([lon, lat], axis=1)

        return shapely.set_srid(shapely.transform(geometries, project), 4326)


def lay_out(plan: Plan, centre_lonlat: tuple[float, float], rng: np.random.Generator) -> Ground:
    """Lay the plan's cells along a Hilbert curve on a metric lattice (EPSG:4545) centred on
    ``centre_lonlat`` (EPSG:4326), rotated and its vertices jittered by ``rng``."""
    count = len(plan.cell_grid)
    cells = hilbert_cells(order_for(count), count)
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    centre_xy = to_metric.transform(*centre_lonlat)
    centre_cell = (float(cells[:, 0].mean()) + 0.5, float(cells[:, 1].mean()) + 0.5)
    lattice = Lattice.build(
        order=order_for(count),
        cell_m=CELL_M,
        centre_xy=centre_xy,
        rotation_deg=float(rng.uniform(-20, 20)),
        jitter=0.12,
        rng=rng,
        centre_cell=centre_cell,
    )
    ground = Ground(
        lattice,
        cells,
        lattice.corners(cells),
        Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True),
    )
    ground.streets = _lattice_streets(plan, ground)
    return ground


def _lattice_streets(plan: Plan, ground: Ground) -> list[Street]:
    """Every side of every cell is a street: every sixth lattice line a named main road,
    every third a secondary one, the rest residential streets, or service roads beside
    villages and open land."""
    cell_index = ground.cell_index
    edges = set()
    for c, r in ground.cells.tolist():
        edges.update(
            {
                ((c, r), (c + 1, r)),
                ((c, r + 1), (c + 1, r + 1)),
                ((c, r), (c, r + 1)),
                ((c + 1, r), (c + 1, r + 1)),
            }
        )
    streets = []
    for a, b in sorted(edges):
        horizontal = a[1] == b[1]
        line = a[1] if horizontal else a[0]
        # the cell on either side of the segment decides its county and character
        side = (a[0], a[1] - 1) if horizontal else (a[0] - 1, a[1])
        cell = cell_index.get(a, cell_index.get(side))
        assert cell is not None
        if line % 6 == 0:
            name = PRIMARY_STREETS[(line // 6 + (0 if horizontal else 7)) % len(PRIMARY_STREETS)]
            streets.append(Street((a, b), "primary", name, cell))
        elif line % 3 == 0:
            streets.append(
                Street((a, b), "secondary", f"{'纬' if horizontal else '经'}{line}路", cell)
            )
        else:
            village = plan.cell_kind[cell] in ("village", "open")
            streets.append(Street((a, b), "service" if village else "residential", None, cell))
    return streets


def as_multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Each geometry as a MultiPolygon of its parts, so a column holds one type."""
    parts, owners = shapely.get_parts(geometries, return_index=True)
    return shapely.multipolygons(parts, indices=owners)


def union_by_owner(
    polygons: np.ndarray, owners: np.ndarray, count: int, *, exact: bool
) -> np.ndarray:
    """Union the polygons of each owner (grid, community, …), owners numbered 0..count-1.
    ``exact``: the polygons share their edges exactly (lattice cells), so the coverage
    union is exact and fast; cells cut by a real outline need the general union."""
    order = np.argsort(owners, kind="stable")
    polygons, owners = polygons[order], owners[order]
    starts = np.searchsorted(owners, np.arange(count), side="left")
    ends = np.searchsorted(owners, np.arange(count), side="right")
    union = shapely.coverage_union_all if exact else shapely.union_all
    return np.array([union(polygons[s:e]) for s, e in zip(starts, ends, strict=True)], dtype=object)


def block_boxes(count: int) -> np.ndarray:
    """``count`` copies of the block inside a cell, as (u0, v0, u1, v1) in the cell's unit
    square: the cell less its street margin."""
    return np.tile([STREET_MARGIN, STREET_MARGIN, 1 - STREET_MARGIN, 1 - STREET_MARGIN], (count, 1))


def polygons_in_cells(ground: Ground, cells: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Metric polygons for ``boxes`` (in each cell's unit square) inside the given cells."""
    return quads(ground.corners[cells], boxes)
