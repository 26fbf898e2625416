"""Coordinates for a demo plan: cells on the ground and every polygon built from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

from gis.demo.lattice import Lattice, hilbert_cells, order_for, quads
from gis.demo.places import Plan

METRIC_CRS = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E
CELL_M = 180.0  # a street block, centreline to centreline
STREET_MARGIN = 0.05  # half a street, in cell units: blocks stop short of the centreline


@dataclass
class Ground:
    """The planned cells laid on the ground: the lattice, each cell's (column, row), its four
    metric corners (EPSG:4545) and the transformer to EPSG:4326."""

    lattice: Lattice
    cells: np.ndarray  # (n, 2) lattice column, row of each planned cell
    corners: np.ndarray  # (n, 4, 2) metric corners of each cell
    to_wgs84: Transformer

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
    return Ground(
        lattice,
        cells,
        lattice.corners(cells),
        Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True),
    )


def as_multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Each geometry as a MultiPolygon of its parts, so a column holds one type."""
    parts, owners = shapely.get_parts(geometries, return_index=True)
    return shapely.multipolygons(parts, indices=owners)


def union_runs(cell_polygons: np.ndarray, owners: np.ndarray, count: int) -> np.ndarray:
    """Union the cells of each owner (grid, community, …). Owners hold contiguous runs of
    cells, and cells share edges exactly, so the coverage union is exact and fast."""
    starts = np.searchsorted(owners, np.arange(count), side="left")
    ends = np.searchsorted(owners, np.arange(count), side="right")
    return np.array(
        [shapely.coverage_union_all(cell_polygons[s:e]) for s, e in zip(starts, ends, strict=True)],
        dtype=object,
    )


def block_boxes(count: int) -> np.ndarray:
    """``count`` copies of the block inside a cell, as (u0, v0, u1, v1) in the cell's unit
    square: the cell less its street margin."""
    return np.tile([STREET_MARGIN, STREET_MARGIN, 1 - STREET_MARGIN, 1 - STREET_MARGIN], (count, 1))


def polygons_in_cells(ground: Ground, cells: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Metric polygons for ``boxes`` (in each cell's unit square) inside the given cells."""
    return quads(ground.corners[cells], boxes)
