"""The demo district laid on Jiangnan's real ground.

The real outline (gis/demo/outline.py) is covered by a lattice of street blocks (180 m),
four by four to a tract (720 m); blocks the boundary cuts are cut with it. Tracts are the
unit of land between subdistricts: each goes to the subdistrict of its nearest territory
point (gis/demo/geography.py), every subdistrict's distances lessened until its share of
land matches its published area. Within a subdistrict, its urban communities (社区) share
the dry blocks nearest its seat, a fifth more than their plan needs; its villages (村) and
zones share the remaining tracts by what they need. Each community grows from the edge of
the land still free, nearest first, so it is one compact piece.

Blocks are the unit of what is built: urban communities and the streets' urban villages
(城中村) build block after block along the Hilbert curve; the towns' villages put their
houses in clusters of two to four blocks (自然村) spread over their land, the committee and
its centre in the middle one; the zones spread their parks the same way. Every other block
(farmland, parks, water, the slivers the boundary cuts) joins the grid of the nearest
built block in its community, so grids follow households and tile their community exactly.
The roads (gis/demo/roads.py) follow from what is built.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from gis.demo import geography, roads
from gis.demo.ground import CELL_M, METRIC_CRS, TRACT, Ground
from gis.demo.lattice import Lattice, hilbert_cells
from gis.demo.outline import jiangnan_outline
from gis.demo.places import Community, Plan

ORDER = 9  # a Hilbert curve of 512 × 512 blocks (92 km) holds the district with room to spare
URBAN_SLACK = 1.12  # an urban community gets this many blocks per planned block (parks)
POOL_SLACK = 1.2  # the land round a seat its urban communities share, over what they need
Vertex = tuple[int, int]
Edge = tuple[Vertex, Vertex]


@dataclass
class Blocks:
    """Every lattice block touching the outline: its (column, row), its polygon cut to the
    outline (metric), whether it is whole dry land (inside the outline, off the river),
    its Hilbert index and its tract."""

    cells: np.ndarray  # (m, 2)
    polygons: np.ndarray  # (m,)
    dry: np.ndarray  # (m,) bool
    hilbert: np.ndarray  # (m,) int
    tract: np.ndarray  # (m,) index into tracts

    @property
    def centres(self) -> np.ndarray:
        """Metric centre of each block's polygon (cut blocks: of what is left)."""
        return shapely.get_coordinates(shapely.centroid(self.polygons))


def lay_out(plan: Plan, rng: np.random.Generator) -> Ground:
    """Lay the plan's cells on Jiangnan's real outline (see the module's docstring)."""
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    outline = _metric(jiangnan_outline(), to_metric)
    river = _river(outline, to_metric)
    centre = shapely.centroid(outline)
    side = 1 << ORDER
    lattice = Lattice.build(
        order=ORDER,
        cell_m=CELL_M,
        centre_xy=(centre.x, centre.y),
        rotation_deg=float(rng.uniform(-8, 8)),
        jitter=0.12,
        rng=rng,
        centre_cell=(side / 2, side / 2),
    )
    blocks, tracts = _blocks(lattice, outline, river)
    subdistrict_of_tract = _territories(plan, lattice, tracts, to_metric)
    planned = _community_cells(plan)
    by_code = {c.code: c for c in plan.communities}
    clusters = {
        code: _cluster_sizes(len(cells), rng)
        for code, cells in planned.items()
        if by_code[code].clustered
    }
    community_of_block = _communities(
        plan, blocks, tracts, subdistrict_of_tract, planned, clusters, lattice, to_metric
    )
    cells = _place(plan, blocks, community_of_block, planned, clusters)
    land, land_grid = _grid_land(plan, blocks, cells, community_of_block)
    corners = lattice.corners(blocks.cells[cells])
    streets, bridges = roads.lay_roads(
        plan, lattice, blocks.cells, blocks.cells[blocks.dry], cells, outline, river
    )
    return Ground(
        lattice,
        blocks.cells[cells],
        corners,
        Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True),
        streets=streets,
        land=land,
        land_grid=land_grid,
        bridges=bridges,
        water=[(geography.RIVER_NAME, river)],
    )


def _metric(geometry: shapely.Geometry, to_metric: Transformer) -> shapely.Geometry:
    def project(xy: np.ndarray) -> np.ndarray:
        x, y = to_metric.transform(xy[:, 0], xy[:, 1])
        return np.stack([x, y], axis=1)

    return shapely.transform(geometry, project)


def _point(lonlat: tuple[float, float], to_metric: Transformer) -> np.ndarray:
    return np.array(to_metric.transform(*lonlat))


def _river(outline: shapely.Geometry, to_metric: Transformer) -> shapely.Geometry:
    """The district's half of the 邕江: the outline within half the river's width of the
    boundary stretch from its west end to its east end round the north."""
    ring = np.asarray(shapely.get_exterior_ring(_largest(outline)).coords)[:-1]
    west = int(np.argmin(np.hypot(*(ring - _point(geography.RIVER_WEST_END, to_metric)).T)))
    east = int(np.argmin(np.hypot(*(ring - _point(geography.RIVER_EAST_END, to_metric)).T)))
    forward = np.roll(ring, -west, axis=0)[: (east - west) % len(ring) + 1]
    backward = np.roll(ring, -east, axis=0)[: (west - east) % len(ring) + 1]
    # of the two ways round the ring between the ends, the river is the northern one
    stretch = forward if forward[:, 1].mean() > backward[:, 1].mean() else backward
    bank = shapely.buffer(shapely.linestrings(stretch), geography.RIVER_HALF_WIDTH_M)
    return _largest(shapely.intersection(bank, outline))


def _largest(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geometry)
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[int(np.argmax(shapely.area(parts)))]


def _blocks(
    lattice: Lattice, outline: shapely.Geometry, river: shapely.Geometry
) -> tuple[Blocks, np.ndarray]:
    side = lattice.xs.shape[0] - 1
    cols, rows = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    every = np.stack([cols.ravel(), rows.ravel()], axis=1)
    # only blocks near the outline's bounding box are worth a polygon
    minx, miny, maxx, maxy = shapely.bounds(outline)
    x0, y0 = lattice.xs[every[:, 0], every[:, 1]], lattice.ys[every[:, 0], every[:, 1]]
    near = (
        (x0 > minx - 2 * CELL_M)
        & (x0 < maxx + CELL_M)
        & (y0 > miny - 2 * CELL_M)
        & (y0 < maxy + CELL_M)
    )
    cells = every[near]
    quads = shapely.polygons(lattice.corners(cells))
    shapely.prepare(outline)
    shapely.prepare(river)
    touching = shapely.intersects(outline, quads)
    cells, quads = cells[touching], quads[touching]
    inside = shapely.contains_properly(outline, quads)
    polygons = quads.copy()
    polygons[~inside] = [_polygonal(g) for g in shapely.intersection(quads[~inside], outline)]
    keep = shapely.area(polygons) > 1.0  # a square metre: no slivers of the boundary
    cells, polygons, inside, quads = cells[keep], polygons[keep], inside[keep], quads[keep]
    dry = inside & ~shapely.intersects(river, quads)

    curve = hilbert_cells(ORDER, 4**ORDER)
    index = np.empty((side, side), dtype=np.int64)
    index[curve[:, 0], curve[:, 1]] = np.arange(len(curve))
    hilbert = index[cells[:, 0], cells[:, 1]]
    order = np.argsort(hilbert, kind="stable")
    cells, polygons, dry, hilbert = cells[order], polygons[order], dry[order], hilbert[order]
    # aligned 4 × 4 squares of a Hilbert curve are runs of 16: a tract is hilbert // 16
    tract_keys, tract = np.unique(hilbert // (TRACT * TRACT), return_inverse=True)
    tracts = np.array([cells[tract == t][0] // TRACT for t in range(len(tract_keys))])
    return Blocks(cells, polygons, dry, hilbert, tract), tracts


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geometry)
    parts = parts[shapely.get_type_id(parts) == 3]
    return shapely.multipolygons(parts) if len(parts) != 1 else parts[0]


def _tract_centres(lattice: Lattice, tracts: np.ndarray) -> np.ndarray:
    middle = tracts * TRACT + TRACT // 2
    return np.stack(
        [lattice.xs[middle[:, 0], middle[:, 1]], lattice.ys[middle[:, 0], middle[:, 1]]], 1
    )


def _territories(
    plan: Plan, lattice: Lattice, tracts: np.ndarray, to_metric: Transformer
) -> np.ndarray:
    """Subdistrict index of each tract: that of its nearest territory point, each
    subdistrict's distances lessened (an additively weighted Voronoi diagram) until the
    shares of land match the subdistricts' published areas; then every piece cut off from
    its subdistrict's main body goes to the neighbour it borders most."""
    centres = _tract_centres(lattice, tracts)
    distance = np.stack(
        [
            cKDTree(
                np.array([_point(p, to_metric) for p in geography.TERRITORIES[s.code].points])
            ).query(centres)[0]
            for s in plan.subdistricts
        ],
        axis=1,
    )
    area = np.array([geography.TERRITORIES[s.code].area_km2 for s in plan.subdistricts])
    target = area / area.sum() * len(tracts)
    lessen = np.zeros(len(plan.subdistricts))
    for step in range(600):
        owner = np.argmin(distance - lessen, axis=1)
        held = np.bincount(owner, minlength=len(plan.subdistricts))
        # grow or shrink each territory by about the width it is missing, in ever smaller
        # steps so that neighbours close together settle instead of swapping land
        lessen += 0.3 * 0.993**step * (np.sqrt(target) - np.sqrt(held)) * TRACT * CELL_M
    return _whole(tracts, owner)


def _neighbours(tracts: np.ndarray) -> list[list[int]]:
    position = {(int(c), int(r)): i for i, (c, r) in enumerate(tracts)}
    return [
        [
            position[(int(c) + dc, int(r) + dr)]
            for dc, dr in ((1, 0), (-1, 0), (0, 1), (0, -1))
            if (int(c) + dc, int(r) + dr) in position
        ]
        for c, r in tracts
    ]


def _whole(tracts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Give every tract cut off from its owner's largest piece to the neighbouring owner it
    borders most, until each owner is one piece."""
    neighbours = _neighbours(tracts)
    owner = owner.copy()
    for _ in range(20):
        moved = False
        for o in np.unique(owner):
            pieces = _pieces(np.flatnonzero(owner == o), neighbours)
            for piece in sorted(pieces, key=len)[:-1]:
                around = [owner[n] for t in piece for n in neighbours[t] if owner[n] != o]
                if around:
                    owner[piece] = max(set(around), key=around.count)
                    moved = True
        if not moved:
            break
    return owner


def _pieces(members: np.ndarray, neighbours: list[list[int]]) -> list[list[int]]:
    """The connected pieces of the tracts ``members``."""
    number = {int(m): i for i, m in enumerate(members)}
    pairs = [(number[int(m)], number[n]) for m in members for n in neighbours[m] if n in number]
    a, b = zip(*pairs, strict=True) if pairs else ((), ())
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(members), len(members)))
    count, label = connected_components(graph, directed=False)
    return [members[label == piece].tolist() for piece in range(count)]


def _seat_community(community: Community) -> bool:
    """The urban communities (社区) of streets and town seats, which take the land nearest
    their subdistrict's seat."""
    return community.kind == "community" and community.subdistrict.kind != "zone"


def _community_cells(plan: Plan) -> dict[str, list[int]]:
    cells: dict[str, list[int]] = {}
    for grid in plan.grids:
        cells.setdefault(grid.community.code, []).extend(grid.cells)
    return cells


def _cluster_sizes(count: int, rng: np.random.Generator) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < count:
        sizes.append(min(int(rng.integers(2, TRACT + 1)), count - sum(sizes)))
    return sizes


def _communities(
    plan: Plan,
    blocks: Blocks,
    tracts: np.ndarray,
    subdistrict_of_tract: np.ndarray,
    cells: dict[str, list[int]],
    clusters: dict[str, list[int]],
    lattice: Lattice,
    to_metric: Transformer,
) -> np.ndarray:
    """Community index of each block (see the module's docstring); ``cells`` are each
    community's planned cells, ``clusters`` the sizes of a clustered one's clusters."""
    dry_blocks = np.bincount(blocks.tract, weights=blocks.dry, minlength=len(tracts))
    tract_centres = _tract_centres(lattice, tracts)
    block_centres = blocks.centres
    community_index = {c.code: i for i, c in enumerate(plan.communities)}
    tract_neighbours = _neighbours(tracts)
    block_at = {(int(c), int(r)): i for i, (c, r) in enumerate(blocks.cells)}

    def block_neighbours(block: int) -> list[int]:
        c, r = (int(v) for v in blocks.cells[block])
        around = ((c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1))
        return [block_at[v] for v in around if v in block_at]

    owner = np.full(len(blocks.cells), -1)
    for s, subdistrict in enumerate(plan.subdistricts):
        mine = np.flatnonzero(subdistrict_of_tract == s)
        members = [c for c in plan.communities if c.subdistrict is subdistrict]
        urban = [c for c in members if _seat_community(c)]
        spread = [c for c in members if not _seat_community(c)]
        where = f"{subdistrict.name} ({subdistrict.code})"
        seat = _point(geography.TERRITORIES[subdistrict.code].seat, to_metric)
        by_distance = mine[np.argsort(np.hypot(*(tract_centres[mine] - seat).T), kind="stable")]
        urban_need = [math.ceil(len(cells[c.code]) * URBAN_SLACK) for c in urban]
        # in dry blocks: urban villages as many as they build on, others room for twice as
        # many clusters as they have, so that the clusters can spread
        spread_need = [
            2 * TRACT * len(clusters[c.code])
            if c.clustered
            else math.ceil(len(cells[c.code]) * URBAN_SLACK)
            for c in spread
        ]
        if not urban:
            pool = mine[:0]
        elif spread:
            # room to spare round the seat, so that the urban communities grow compact,
            # as long as the rest keeps enough for the villages (a tract more each)
            room = dry_blocks[mine].sum() - sum(spread_need) - TRACT * TRACT * len(spread)
            wanted = max(min(POOL_SLACK * sum(urban_need), room), sum(urban_need))
            taken = np.searchsorted(np.cumsum(dry_blocks[by_distance]), wanted) + 1
            pool = by_distance[:taken]
        else:
            pool = mine
        in_pool = np.isin(blocks.tract, pool)
        if urban:
            # urban communities share the pool's dry blocks; its wet and cut blocks go
            # with the nearest of them
            dry = np.flatnonzero(in_pool & blocks.dry)
            _grow(
                owner,
                dry,
                block_neighbours,
                np.ones(len(blocks.cells)),
                block_centres,
                urban,
                urban_need,
                community_index,
                where,
            )
            wet = np.flatnonzero(in_pool & ~blocks.dry)
            if len(wet):
                _, nearest = cKDTree(block_centres[dry]).query(block_centres[wet])
                owner[wet] = owner[dry[nearest]]
        rest = np.sort(np.setdiff1d(mine, pool))
        tract_owner = np.full(len(tracts), -1)
        _grow(
            tract_owner,
            rest,
            tract_neighbours.__getitem__,
            dry_blocks,
            tract_centres,
            spread,
            spread_need,
            community_index,
            where,
        )
        in_rest = np.isin(blocks.tract, rest)
        owner[in_rest] = tract_owner[blocks.tract[in_rest]]
    assert (owner >= 0).all()
    return owner


def _grow(
    owner: np.ndarray,
    units: np.ndarray,
    neighbours: Callable[[int], Iterable[int]],
    capacity: np.ndarray,
    centres: np.ndarray,
    communities: list[Community],
    need: list[int],
    community_index: dict[str, int],
    where: str,
) -> None:
    """Share land (tracts or blocks) out to communities in proportion to their need, each at
    least its need, the last taking what is left. One after another, each community grows
    from the first free unit along the Hilbert curve (the edge of the land still free) over
    the free land beside what it holds, nearest that seed first, so it is one compact piece;
    only a pocket of free land too small for it makes it jump to the next free unit."""
    if not communities:
        if len(units):
            raise ValueError(f"{where}: land left with no community to take it")
        return
    units = np.sort(units)
    total = float(capacity[units].sum())
    free = set(units.tolist())
    for i, community in enumerate(communities):
        last = i == len(communities) - 1
        # its share of what is still free, so that overshoots do not add up
        left = float(capacity[list(free)].sum())
        share = [need[i] / sum(need[i:]) * left]
        held = 0.0
        while free and (last or held < max(share[0], need[i])):
            seed = min(free)  # units are numbered along the Hilbert curve
            frontier = [(0.0, seed)]
            while frontier and (last or held < max(share[0], need[i])):
                _, unit = heapq.heappop(frontier)
                if unit not in free:
                    continue
                owner[unit] = community_index[community.code]
                free.discard(unit)
                held += capacity[unit]
                for n in neighbours(unit):
                    if n in free:
                        distance = float(np.hypot(*(centres[n] - centres[seed])))
                        heapq.heappush(frontier, (distance, n))
        if held < need[i]:
            raise ValueError(
                f"{where}: its land holds {total:.0f} of the {sum(need)} (dry blocks) its"
                " communities need; move its territory points (gis/demo/geography.py)"
            )


def _dry_quadrants(blocks: Blocks) -> np.ndarray:
    """Index of the first block of every aligned 2 × 2 quadrant whose four blocks are dry
    land (a Hilbert curve visits such a quadrant as a run of four)."""
    keys = blocks.hilbert // 4
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, len(keys)])
    dry_counts = np.add.reduceat(blocks.dry.astype(int), starts)
    return starts[(counts == 4) & (dry_counts == 4)]


def _place(
    plan: Plan,
    blocks: Blocks,
    community_of_block: np.ndarray,
    cells: dict[str, list[int]],
    clusters: dict[str, list[int]],
) -> np.ndarray:
    """The block of each planned cell."""
    placed = np.full(len(plan.cell_grid), -1)
    quadrant_starts = _dry_quadrants(blocks)
    for index, community in enumerate(plan.communities):
        planned = cells[community.code]
        if not community.clustered:
            free = np.flatnonzero((community_of_block == index) & blocks.dry)
            placed[planned] = free[: len(planned)]
            continue
        starts = quadrant_starts[community_of_block[quadrant_starts] == index]
        sizes = clusters[community.code]
        n = len(sizes)
        if len(starts) < n:
            raise ValueError(
                f"{community.name} ({community.code}): {len(starts)} dry quadrants of land"
                f" for {n} clusters of houses"
            )
        spots = starts[((np.arange(n) + 0.5) * len(starts) / n).astype(int)]
        # the first cluster (the committee and its centre) in the middle of the land
        spots = np.roll(spots, -(n // 2))
        offset = 0
        for size, spot in zip(sizes, spots, strict=True):
            placed[planned[offset : offset + size]] = np.arange(spot, spot + size)
            offset += size
    assert (placed >= 0).all()
    return placed


def _grid_land(
    plan: Plan, blocks: Blocks, placed: np.ndarray, community_of_block: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of every block no planned cell stands on, and the grid each joins: that of
    the nearest planned cell of the same community."""
    grid_of_block = np.full(len(blocks.cells), -1)
    grid_of_block[placed] = plan.cell_grid
    centres = blocks.centres
    for index in range(len(plan.communities)):
        mine = community_of_block == index
        built = np.flatnonzero(mine & (grid_of_block >= 0))
        empty = np.flatnonzero(mine & (grid_of_block < 0))
        if len(empty):
            _, nearest = cKDTree(centres[built]).query(centres[empty])
            grid_of_block[empty] = grid_of_block[built[nearest]]
    open_land = np.ones(len(blocks.cells), dtype=bool)
    open_land[placed] = False
    return blocks.polygons[open_land], grid_of_block[open_land]
