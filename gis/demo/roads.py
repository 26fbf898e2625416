"""The demo district's roads on real ground: streets round every built block, rural roads
along the tract lines on land, the shortest paths over dry land that join any cut-off block
to the rest (so the walking network is one piece), and the bridges over the river, which
no other road crosses."""

from __future__ import annotations

from collections import deque

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis.demo import geography
from gis.demo.ground import CELL_M, METRIC_CRS, PRIMARY_STREETS, TRACT, Street
from gis.demo.lattice import Lattice
from gis.demo.places import Plan

Vertex = tuple[int, int]
Edge = tuple[Vertex, Vertex]


def _block_edges(cell: tuple[int, int]) -> list[Edge]:
    c, r = cell
    return [
        ((c, r), (c + 1, r)),
        ((c, r + 1), (c + 1, r + 1)),
        ((c, r), (c, r + 1)),
        ((c + 1, r), (c + 1, r + 1)),
    ]


def lay_roads(
    plan: Plan,
    lattice: Lattice,
    blocks: np.ndarray,
    dry_blocks: np.ndarray,
    placed: np.ndarray,
    outline: shapely.Geometry,
    river: shapely.Geometry,
) -> tuple[list[Street], list[tuple[str, shapely.Geometry]]]:
    """Streets round every built block, rural roads along the tract lines on land, paths
    joining any cut-off block to the rest, and the bridges.

    Parameters
    ----------
    plan : the district's plan (what each planned cell is).
    lattice : the block lattice (metric).
    blocks : (m, 2) lattice (column, row) of every block of the district.
    dry_blocks : (k, 2) those of them that are whole dry land.
    placed : the index into ``blocks`` of each planned cell.
    outline, river : the district and its water (metric).

    Returns
    -------
    The streets, and the bridges as (name, metric LineString).
    """
    xs, ys = lattice.xs, lattice.ys
    cell_of_block = {int(b): i for i, b in enumerate(placed)}
    touching: dict[Edge, int] = {}  # an edge and a planned cell beside it
    for block, cell in cell_of_block.items():
        for edge in _block_edges(tuple(blocks[block])):
            touching.setdefault(edge, cell)
    # tract lines: the sides of every block that lie on a multiple of TRACT
    candidates: set[Edge] = set()
    for c, r in blocks.tolist():
        for edge in _block_edges((c, r)):
            (c0, r0), (c1, r1) = edge
            if (c0 == c1 and c0 % TRACT == 0) or (r0 == r1 and r0 % TRACT == 0):
                candidates.add(edge)
    rural = sorted(candidates - touching.keys())
    lines = shapely.linestrings([[(xs[a], ys[a]), (xs[b], ys[b])] for a, b in rural])
    on_land = shapely.within(lines, outline) & ~shapely.intersects(river, lines)
    edges = set(touching) | {e for e, ok in zip(rural, on_land.tolist(), strict=True) if ok}
    edges |= _joins(edges, touching, dry_blocks)
    # rural roads cut off by the outline's bends, with nothing built on them, go
    edges = _largest_piece(edges)
    streets = [_street(plan, edge, touching.get(edge)) for edge in sorted(edges)]
    return streets, _bridges(edges, lattice, river, outline)


def _pieces_of(edges: set[Edge]) -> tuple[list[Vertex], dict[Vertex, int], np.ndarray, int]:
    """The network's vertices, their numbers, the piece (connected component) of each and
    the largest piece."""
    vertices = sorted({v for e in edges for v in e})
    number = {v: i for i, v in enumerate(vertices)}
    a = [number[e[0]] for e in edges]
    b = [number[e[1]] for e in edges]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(vertices), len(vertices)))
    _, label = connected_components(graph, directed=False)
    return vertices, number, label, int(np.bincount(label).argmax())


def _largest_piece(edges: set[Edge]) -> set[Edge]:
    _, number, label, main = _pieces_of(edges)
    return {e for e in edges if label[number[e[0]]] == main}


def _joins(edges: set[Edge], touching: dict[Edge, int], dry_blocks: np.ndarray) -> set[Edge]:
    """The shortest lattice paths over dry land joining each piece of the street network
    that has built blocks on it to the largest piece."""
    vertices, number, label, main = _pieces_of(edges)
    built_labels = {label[number[e[0]]] for e in touching}
    if built_labels <= {main}:
        return set()
    dry_edges: dict[Vertex, list[Vertex]] = {}
    for c, r in dry_blocks.tolist():
        for u, v in _block_edges((c, r)):
            dry_edges.setdefault(u, []).append(v)
            dry_edges.setdefault(v, []).append(u)
    in_main = {v for v in vertices if label[number[v]] == main}
    added: set[Edge] = set()
    for piece in sorted(built_labels - {main}):
        sources = [v for v in vertices if label[number[v]] == piece]
        came: dict[Vertex, Vertex | None] = {v: None for v in sources}
        queue = deque(sources)
        reached = None
        while queue and reached is None:
            vertex = queue.popleft()
            for nxt in dry_edges.get(vertex, []):
                if nxt not in came:
                    came[nxt] = vertex
                    if nxt in in_main:
                        reached = nxt
                        break
                    queue.append(nxt)
        if reached is None:
            raise ValueError("a built block has no dry-land path to the street network")
        step: Vertex | None = reached
        while step is not None and came[step] is not None:
            before = came[step]
            assert before is not None
            added.add((min(step, before), max(step, before)))
            step = before
        in_main.update(v for e in added for v in e)
    return added


def _street(plan: Plan, edge: Edge, cell: int | None) -> Street:
    """A street's class and name: in town, every sixth lattice line a named main road and
    every third a secondary one (as in the city); lanes round village houses; rural roads
    between them."""
    (c0, r0), (_, r1) = edge
    horizontal = r0 == r1
    line = r0 if horizontal else c0
    if cell is None:
        return Street(edge, "unclassified", None, None)
    kind = plan.cell_kind[cell]
    if kind in ("village", "open") or plan.grids[plan.cell_grid[cell]].community.clustered:
        on_tract_line = line % TRACT == 0
        return Street(edge, "unclassified" if on_tract_line else "service", None, cell)
    if line % 6 == 0:
        name = PRIMARY_STREETS[(line // 6 + (0 if horizontal else 7)) % len(PRIMARY_STREETS)]
        return Street(edge, "primary", name, cell)
    if line % 3 == 0:
        return Street(edge, "secondary", f"{'纬' if horizontal else '经'}{line}路", cell)
    return Street(edge, "residential", None, cell)


def _bridges(
    edges: set[Edge], lattice: Lattice, river: shapely.Geometry, outline: shapely.Geometry
) -> list[tuple[str, shapely.Geometry]]:
    """Each bridge from the street corner nearest the river where it lands, straight across
    the district's half of the river to the boundary (the far bank is the next district)."""
    vertices = np.array(sorted({v for e in edges for v in e}))
    xy = np.stack(
        [lattice.xs[vertices[:, 0], vertices[:, 1]], lattice.ys[vertices[:, 0], vertices[:, 1]]], 1
    )
    near = np.flatnonzero(shapely.distance(river, shapely.points(xy)) < CELL_M)
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    boundary = shapely.boundary(outline)
    bridges = []
    for name, lon in geography.BRIDGES:
        x = to_metric.transform(lon, 22.8)[0]
        start = xy[near[np.argmin(np.abs(xy[near, 0] - x))]]
        bridges.append((name, shapely.shortest_line(shapely.Point(start), boundary)))
    return bridges
