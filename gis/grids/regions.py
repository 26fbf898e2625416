"""Grouping blocks into grids: arrays in, region labels out, no database.

A base grid (基础网格) holds 300–500 households and is one contiguous patch of whole
blocks. The max-p-regions problem (Duque, Anselin & Rey 2012) asks for the largest number
of contiguous regions that each reach a floor, which is the household floor exactly; spopt's
heuristic solves it, with the blocks' centroids as the attributes whose within-region
spread it minimises, so the regions also come out compact. Max-p knows no ceiling, so
:func:`regionalise` repairs its answer afterwards:

1. a region over the ceiling first hands boundary blocks to neighbours with room, then is
   cut by recursive bisection (sweeps that grow one side block by block in eight
   directions, so both sides stay contiguous; the best few cuts are tried in turn), or,
   when no cut of it alone fits (550 households make two grids under 300), pooled with a
   neighbour and the pool cut afresh;
2. a region under the floor merges with a neighbour when the two fit under the ceiling,
   else takes boundary blocks from neighbours that can spare them.

Every move keeps both regions contiguous. The result is deterministic: spopt's random
draws come from a seeded NumPy state (restored afterwards) and every repair visits regions
and blocks in a fixed order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

import numpy as np

from gis.grids.maxp import max_p

# The repairs stop after this many sweeps even if a move is still possible; each sweep
# strictly reduces the households outside the bounds, so real inputs settle in a few.
MAX_REPAIR_SWEEPS = 50
# How many of the best-ranked cuts a bisection tries before settling, and the work one
# recursive cut may spend on trying (a bisection of n blocks costs n²).
CUTS_TRIED = 12
CUT_BUDGET = 200_000


def regionalise(
    households: np.ndarray,
    xy: np.ndarray,
    edges: Sequence[tuple[int, int]],
    *,
    min_households: int,
    max_households: int,
    seed: int = 0,
) -> np.ndarray:
    """Group blocks into contiguous regions of ``min_households``–``max_households``.

    Parameters
    ----------
    households : (n,) households per block.
    xy : (n, 2) block centroids in a metric CRS, metres.
    edges : pairs of block indices that share a stretch of boundary (rook contiguity).
    min_households, max_households : the bounds of a base grid, households.
    seed : seeds spopt's randomness; the same input and seed give the same labels.

    Returns
    -------
    (n,) region label per block, 0…p-1, numbered by each region's lowest block index.
    Blocks in a connected patch whose households are all below the floor (or a single
    block above the ceiling) cannot be brought within bounds and form one region as they
    are.
    """
    households = np.asarray(households, dtype=np.int64)
    if min_households < 0 or max_households < min_households:
        raise ValueError(f"bounds {min_households}–{max_households} households are not a range")
    count = len(households)
    graph = _graph(count, edges)
    labels = np.full(count, -1, dtype=np.int64)
    next_label = 0
    for component in _components(graph, range(count)):
        members = np.array(sorted(component))
        if households[members].sum() <= max_households or len(members) == 1:
            labels[members] = next_label
            next_label += 1
            continue
        local = max_p(households[members], xy[members], graph, members, min_households, seed)
        labels[members] = local + next_label
        next_label += int(local.max()) + 1
    _repair(labels, households, xy, graph, min_households, max_households)
    return _renumber(labels)


def _graph(count: int, edges: Sequence[tuple[int, int]]) -> list[set[int]]:
    graph: list[set[int]] = [set() for _ in range(count)]
    for a, b in edges:
        if a != b:
            graph[a].add(b)
            graph[b].add(a)
    return graph


def _components(graph: list[set[int]], nodes: Sequence[int] | set[int]) -> list[set[int]]:
    """Connected components of the subgraph on ``nodes``, in order of their lowest node."""
    remaining = set(nodes)
    found: list[set[int]] = []
    for start in sorted(remaining):
        if start not in remaining:
            continue
        component = {start}
        stack = [start]
        remaining.discard(start)
        while stack:
            for neighbour in graph[stack.pop()]:
                if neighbour in remaining:
                    remaining.discard(neighbour)
                    component.add(neighbour)
                    stack.append(neighbour)
        found.append(component)
    return found


class _Regions:
    """Mutable region bookkeeping over a block graph for the repairs."""

    def __init__(
        self,
        labels: np.ndarray,
        households: np.ndarray,
        xy: np.ndarray,
        graph: list[set[int]],
    ) -> None:
        self.labels = labels
        self.households = households
        self.xy = xy
        self.graph = graph
        self.members: dict[int, set[int]] = {}
        for block, label in enumerate(labels):
            self.members.setdefault(int(label), set()).add(block)
        self.next_label = max(self.members, default=-1) + 1

    def total(self, label: int) -> int:
        return int(self.households[list(self.members[label])].sum())

    def neighbours(self, label: int) -> list[int]:
        found = {int(self.labels[n]) for block in self.members[label] for n in self.graph[block]}
        found.discard(label)
        return sorted(found)

    def border(self, label: int, other: int) -> list[int]:
        """Blocks of ``label`` that touch region ``other``, in index order."""
        return sorted(
            block
            for block in self.members[label]
            if any(self.labels[n] == other for n in self.graph[block])
        )

    def stays_connected(self, label: int, without: int) -> bool:
        rest = self.members[label] - {without}
        return bool(rest) and len(_components(self.graph, rest)) == 1

    def move(self, block: int, to: int) -> None:
        self.members[int(self.labels[block])].discard(block)
        self.members[to].add(block)
        self.labels[block] = to

    def merge(self, label: int, into: int) -> None:
        for block in sorted(self.members.pop(label)):
            self.labels[block] = into
            self.members[into].add(block)

    def centroid(self, label: int) -> np.ndarray:
        blocks = sorted(self.members[label])
        return np.asarray(self.xy[blocks].mean(axis=0))


def _repair(
    labels: np.ndarray,
    households: np.ndarray,
    xy: np.ndarray,
    graph: list[set[int]],
    floor: int,
    ceiling: int,
) -> None:
    regions = _Regions(labels, households, xy, graph)
    for _ in range(MAX_REPAIR_SWEEPS):
        changed = False
        for label in sorted(regions.members, key=lambda r: (-regions.total(r), r)):
            if label in regions.members and regions.total(label) > ceiling:
                changed |= _shed(regions, label, floor, ceiling)
                if regions.total(label) > ceiling:
                    changed |= _split(regions, label, floor, ceiling)
        for label in sorted(regions.members, key=lambda r: (regions.total(r), r)):
            if label in regions.members and regions.total(label) < floor:
                changed |= _absorb(regions, label, floor, ceiling)
        if not changed:
            return


def _shed(regions: _Regions, label: int, floor: int, ceiling: int) -> bool:
    """Hand boundary blocks of an over-full region to neighbours with room."""
    changed = False
    while regions.total(label) > ceiling:
        best: tuple[float, int, int] | None = None
        total = regions.total(label)
        for other in regions.neighbours(label):
            room = ceiling - regions.total(other)
            centre = regions.centroid(other)
            for block in regions.border(label, other):
                size = int(regions.households[block])
                if size > room or total - size < floor or size == 0:
                    continue
                if not regions.stays_connected(label, block):
                    continue
                # prefer the move that brings the region under the ceiling, then the block
                # nearest the receiving region (compactness)
                overshoot = max(total - size - ceiling, 0)
                distance = float(np.hypot(*(regions.xy[block] - centre)))
                key = (overshoot * 1e9 + distance, block, other)
                if best is None or key < best:
                    best = key
        if best is None:
            return changed
        regions.move(best[1], best[2])
        changed = True
    return changed


def _split(regions: _Regions, label: int, floor: int, ceiling: int) -> bool:
    """Cut an over-full region into ceil(total / ceiling) contiguous pieces."""
    blocks = sorted(regions.members[label])
    if len(blocks) < 2:
        return False
    total = regions.total(label)
    pieces = -(-total // ceiling)
    if total < pieces * floor:
        # every cut would leave a piece under the floor; cut off one piece at the floor
        # and let the under-full rest merge into a neighbour, or undo the cut if it cannot
        trial = _bisect(
            regions,
            set(blocks),
            target=floor,
            first_bounds=(floor, ceiling),
            rest_bounds=(0, ceiling),
        )
        if not trial:
            return False
        _, rest = trial[0]
        snapshot = regions.labels.copy()
        new = regions.next_label
        regions.next_label += 1
        regions.members[new] = set()
        for block in sorted(rest):
            regions.move(block, new)
        if _absorb(regions, new, floor, ceiling) and new not in regions.members:
            return True
        _restore(regions, snapshot)
        return _recut_with_neighbour(regions, label, floor, ceiling)
    _cut(regions, label, pieces, floor, ceiling, [CUT_BUDGET])
    return True


def _recut_with_neighbour(regions: _Regions, label: int, floor: int, ceiling: int) -> bool:
    """Pool an over-full region with a neighbour and cut the pool afresh into
    ceil(pool / ceiling) pieces (518 + 544 households make three grids of about 354);
    kept only when every piece ends within bounds."""
    for other in regions.neighbours(label):
        pool = regions.total(label) + regions.total(other)
        pieces = -(-pool // ceiling)
        if pool < pieces * floor:
            continue
        snapshot = regions.labels.copy()
        regions.merge(other, label)
        if _cut(regions, label, pieces, floor, ceiling, [CUT_BUDGET]):
            return True
        _restore(regions, snapshot)
    return False


def _cut(
    regions: _Regions, label: int, pieces: int, floor: int, ceiling: int, budget: list[int]
) -> bool:
    """Cut a region into ``pieces`` contiguous regions by recursive bisection; True when
    every piece ends within bounds. A cut that fits its own bounds can still leave a side
    that no later cut fits, so the best few cuts of each bisection are tried in turn while
    ``budget`` (shared, in squared block counts, the cost of a bisection) lasts; when
    none fits, the best-ranked cut stands."""
    blocks = regions.members[label]
    if pieces < 2 or len(blocks) < 2:
        return floor <= regions.total(label) <= ceiling
    first = pieces // 2
    total = regions.total(label)
    candidates = _bisect(
        regions,
        set(blocks),
        target=total * first / pieces,
        first_bounds=(first * floor, first * ceiling),
        rest_bounds=((pieces - first) * floor, (pieces - first) * ceiling),
    )
    if not candidates:
        return False
    budget[0] -= len(blocks) ** 2
    snapshot = regions.labels.copy()
    for _, rest in candidates[:CUTS_TRIED]:
        if budget[0] <= 0:
            break
        if _cut_along(regions, label, rest, first, pieces, floor, ceiling, budget):
            return True
        _restore(regions, snapshot)
    return _cut_along(regions, label, candidates[0][1], first, pieces, floor, ceiling, [0])


def _cut_along(
    regions: _Regions,
    label: int,
    rest: set[int],
    first: int,
    pieces: int,
    floor: int,
    ceiling: int,
    budget: list[int],
) -> bool:
    new = regions.next_label
    regions.next_label += 1
    regions.members[new] = set()
    for block in sorted(rest):
        regions.move(block, new)
    fits = _cut(regions, label, first, floor, ceiling, budget)
    return _cut(regions, new, pieces - first, floor, ceiling, budget) and fits


def _bisect(
    regions: _Regions,
    blocks: set[int],
    *,
    target: float,
    first_bounds: tuple[float, float],
    rest_bounds: tuple[float, float],
) -> list[tuple[set[int], set[int]]]:
    """Ways to cut ``blocks`` in two contiguous sides by a sweep: grow one side block by block
    from one end of an axis (always taking the frontier block furthest back along it),
    and stop after some prefix; pieces of the other side that the sweep cuts off join
    the grown side. Eight directions are swept (the axes and diagonals both ways, the
    longer axis first, so ties go to cuts across the region's length); the cuts come
    best first: sides that best fit their household bounds, then a grown side
    closest to ``target`` households."""
    ordered = sorted(blocks)
    points = regions.xy[ordered]
    extent = points.max(axis=0) - points.min(axis=0)
    first_angle = 0.0 if extent[0] >= extent[1] else 90.0
    angles = [
        first_angle + offset for offset in (0.0, 180.0, 90.0, 270.0, 45.0, 225.0, 135.0, 315.0)
    ]
    total = int(regions.households[ordered].sum())
    ranked: dict[frozenset[int], tuple[float, float, int]] = {}
    sides: dict[frozenset[int], tuple[set[int], set[int]]] = {}
    for sweep, angle in enumerate(angles):
        unit = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        along = {b: float(regions.xy[b] @ unit) for b in ordered}
        for grown, rest in _sweep_cuts(regions, blocks, along):
            grown_total = int(regions.households[list(grown)].sum())
            rest_total = total - grown_total
            misfit = _misfit(grown_total, first_bounds) + _misfit(rest_total, rest_bounds)
            key = (misfit, abs(grown_total - target), sweep)
            side = frozenset(grown)
            if side not in ranked or key < ranked[side]:
                ranked[side] = key
                sides[side] = (grown, rest)
    return [sides[side] for side in sorted(ranked, key=lambda k: (ranked[k], min(k)))]


def _misfit(value: int, bounds: tuple[float, float]) -> float:
    return max(bounds[0] - value, 0.0) + max(value - bounds[1], 0.0)


def _sweep_cuts(
    regions: _Regions, blocks: set[int], along: dict[int, float]
) -> Iterator[tuple[set[int], set[int]]]:
    start = min(blocks, key=lambda b: (along[b], b))
    heap = [(along[start], start)]
    seen = {start}
    order: list[int] = []
    while heap:
        _, block = heapq.heappop(heap)
        order.append(block)
        for neighbour in sorted(regions.graph[block]):
            if neighbour in blocks and neighbour not in seen:
                seen.add(neighbour)
                heapq.heappush(heap, (along[neighbour], neighbour))
    for end in range(1, len(order)):
        grown = set(order[:end])
        rest = blocks - grown
        parts = sorted(
            _components(regions.graph, rest),
            key=lambda c: (-int(regions.households[list(c)].sum()), min(c)),
        )
        for stray in parts[1:]:
            grown |= stray
            rest -= stray
        if rest:
            yield grown, rest


def _absorb(regions: _Regions, label: int, floor: int, ceiling: int) -> bool:
    """Bring an under-full region up to the floor: merge it into a neighbour when both fit
    under the ceiling, else take boundary blocks that neighbours can spare."""
    total = regions.total(label)
    fitting = [
        other for other in regions.neighbours(label) if total + regions.total(other) <= ceiling
    ]
    if fitting:
        # the neighbour that ends nearest the middle of the bounds
        middle = (floor + ceiling) / 2
        into = min(fitting, key=lambda o: (abs(total + regions.total(o) - middle), o))
        regions.merge(label, into)
        return True
    changed = False
    while regions.total(label) < floor:
        best: tuple[float, int] | None = None
        centre = regions.centroid(label)
        for other in regions.neighbours(label):
            spare = regions.total(other) - floor
            for block in regions.border(other, label):
                size = int(regions.households[block])
                if size == 0 or size > spare or regions.total(label) + size > ceiling:
                    continue
                if not regions.stays_connected(other, block):
                    continue
                distance = float(np.hypot(*(regions.xy[block] - centre)))
                key = (distance, block)
                if best is None or key < best:
                    best = key
        if best is None:
            return changed
        regions.move(best[1], label)
        changed = True
    return changed


def _restore(regions: _Regions, snapshot: np.ndarray) -> None:
    regions.labels[:] = snapshot
    regions.members = {}
    for block, label in enumerate(snapshot):
        regions.members.setdefault(int(label), set()).add(block)


def _renumber(labels: np.ndarray) -> np.ndarray:
    first_seen: dict[int, int] = {}
    for label in labels:
        first_seen.setdefault(int(label), len(first_seen))
    return np.array([first_seen[int(label)] for label in labels], dtype=np.int64)
