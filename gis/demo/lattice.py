"""The demo's ground: a jittered, rotated lattice of street blocks walked by a Hilbert curve.

Consecutive cells of a Hilbert curve are edge neighbours, so any run of consecutive cells
is a connected, fairly compact patch. Cutting the curve into runs therefore gives
subdistricts, communities and grids that are contiguous and nest by construction, and
because neighbouring cells share their corner points exactly, their unions tile with no
gap and no overlap.

Everything inside a cell is placed in the cell's own (u, v) parameter square and mapped
to ground coordinates bilinearly: lines of constant u or v stay straight, so a rectangle
in (u, v) becomes a quadrilateral whose corners are all we need, and anything placed
inside (margin, 1 - margin) stays inside the block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely


def hilbert_cells(order: int, count: int) -> np.ndarray:
    """Lattice (column, row) of the first ``count`` cells of a Hilbert curve of
    ``2**order`` cells a side; shape (count, 2)."""
    side = 1 << order
    if count > side * side:
        raise ValueError(f"a Hilbert curve of order {order} has only {side * side} cells")
    d = np.arange(count, dtype=np.int64)
    x = np.zeros(count, dtype=np.int64)
    y = np.zeros(count, dtype=np.int64)
    t = d.copy()
    s = 1
    while s < side:
        rx = 1 & (t // 2)
        ry = 1 & (t ^ rx)
        # rotate the quadrant so the sub-curves join end to start
        flip = ry == 0
        swap_x = np.where(flip & (rx == 1), s - 1 - x, x)
        swap_y = np.where(flip & (rx == 1), s - 1 - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        x = x + s * rx
        y = y + s * ry
        t //= 4
        s *= 2
    return np.stack([x, y], axis=1)


def order_for(count: int) -> int:
    """The Hilbert curve order whose square (4**order cells) holds ``count`` cells."""
    return max(1, math.ceil(math.log(max(count, 2), 4)))


@dataclass(frozen=True)
class Lattice:
    """Corner points of every lattice vertex in metric ground coordinates (EPSG:4545)."""

    xs: np.ndarray  # shape (side + 1, side + 1): xs[column, row]
    ys: np.ndarray

    @classmethod
    def build(
        cls,
        *,
        order: int,
        cell_m: float,
        centre_xy: tuple[float, float],
        rotation_deg: float,
        jitter: float,
        rng: np.random.Generator,
        centre_cell: tuple[float, float],
    ) -> Lattice:
        """A lattice of ``cell_m``-metre blocks, every vertex moved by up to ``jitter`` of a
        block so streets are not ruler-straight, rotated, with ``centre_cell`` (in lattice
        units) placed on ``centre_xy``."""
        side = (1 << order) + 1
        cols, rows = np.meshgrid(
            np.arange(side, dtype=float), np.arange(side, dtype=float), indexing="ij"
        )
        cols = cols + rng.uniform(-jitter, jitter, cols.shape)
        rows = rows + rng.uniform(-jitter, jitter, rows.shape)
        local_x = (cols - centre_cell[0]) * cell_m
        local_y = (rows - centre_cell[1]) * cell_m
        angle = math.radians(rotation_deg)
        xs = centre_xy[0] + local_x * math.cos(angle) - local_y * math.sin(angle)
        ys = centre_xy[1] + local_x * math.sin(angle) + local_y * math.cos(angle)
        return cls(xs=xs, ys=ys)

    def corners(self, cells: np.ndarray) -> np.ndarray:
        """Corner points of cells (column, row): shape (n, 4, 2), in the order
        (0,0) (1,0) (1,1) (0,1) of the cell's (u, v) square, anticlockwise."""
        c, r = cells[:, 0], cells[:, 1]
        pick = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
        return np.stack(
            [np.stack([self.xs[i, j], self.ys[i, j]], axis=-1) for i, j in pick], axis=1
        )


def bilinear(corners: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points at parameters (u, v) of quadrilaterals ``corners`` (n, 4, 2) → (n, 2)."""
    p00, p10, p11, p01 = (corners[:, k, :] for k in range(4))
    u = u[:, None]
    v = v[:, None]
    return (1 - u) * (1 - v) * p00 + u * (1 - v) * p10 + u * v * p11 + (1 - u) * v * p01


def quads(corners: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Polygons of (u0, v0, u1, v1) boxes inside quadrilaterals: corners (n, 4, 2), boxes
    (n, 4) → array of n shapely Polygons."""
    u0, v0, u1, v1 = boxes.T
    ring = np.stack(
        [
            bilinear(corners, u0, v0),
            bilinear(corners, u1, v0),
            bilinear(corners, u1, v1),
            bilinear(corners, u0, v1),
        ],
        axis=1,
    )
    return shapely.polygons(ring)
