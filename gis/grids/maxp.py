"""spopt's max-p-regions heuristic on one connected patch of blocks, seeded, with a
work-around for a hang in spopt < 0.8. Used by :mod:`gis.grids.regions`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np

# spopt's effort: random constructions tried, and simulated-annealing runs on each of the
# constructions that reach the largest p. Measured over the demo's 120 communities: 10/1
# and 30/3 both gave 98.7 % of grids within bounds before the repairs and mean
# Polsby-Popper 0.576 against 0.579, in 17 s against 113 s; spopt's 99/10 takes minutes.
CONSTRUCTION_ITERATIONS = 10
ANNEALING_ITERATIONS = 1


def max_p(
    households: np.ndarray,
    xy: np.ndarray,
    graph: list[set[int]],
    members: np.ndarray,
    floor: int,
    seed: int,
) -> np.ndarray:
    """spopt's max-p heuristic on one connected patch of blocks.

    Parameters
    ----------
    households : (k,) households of the patch's blocks (the floor's attribute).
    xy : (k, 2) block centroids, metres; the within-region spread of these is minimised.
    graph : neighbour sets over all blocks; ``members`` picks the patch's blocks.
    members : (k,) indices of the patch's blocks in ``graph``.
    floor : fewest households in a region.
    seed : seeds NumPy's global generator for spopt (restored afterwards).

    Returns
    -------
    (k,) region labels 0…p-1.
    """
    import libpysal
    from spopt.region import MaxPHeuristic

    position = {int(block): i for i, block in enumerate(members)}
    neighbours = {
        i: sorted(position[n] for n in graph[int(block)] if n in position)
        for i, block in enumerate(members)
    }
    weights = libpysal.weights.W(neighbours, silence_warnings=True)
    # Metres, not kilometres: spopt's annealing starts at temperature 1 in the units of
    # the attributes, so with distances of hundreds of units it accepts almost no
    # worsening move and settles in a few hundred steps instead of wandering for minutes.
    frame = gpd.GeoDataFrame(
        {"households": households, "x_m": xy[:, 0], "y_m": xy[:, 1]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
    )
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with _moves_that_cross_borders(), warnings.catch_warnings():
            # spopt's own use of a pandas keyword on its way out; not ours to fix
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            model = MaxPHeuristic(
                frame,
                weights,
                ["x_m", "y_m"],
                "households",
                floor,
                top_n=2,
                max_iterations_construction=CONSTRUCTION_ITERATIONS,
                max_iterations_sa=ANNEALING_ITERATIONS,
            )
            model.solve()
    finally:
        np.random.set_state(state)
    raw = np.asarray(model.labels_, dtype=np.int64)
    # spopt numbers regions from 1 and leaves 0 for areas it could not place (none in a
    # connected patch that reaches the floor, but a stray 0 becomes a region of its own)
    _, labels = np.unique(raw, return_inverse=True)
    return labels.astype(np.int64)


@contextmanager
def _moves_that_cross_borders() -> Iterator[None]:
    """Work around spopt < 0.8 hanging in its annealing (pysal/spopt#506, fixed in 0.8,
    which needs Python 3.12): when every block that could leave its region lies inside
    that region, the annealing loop offers the same candidates forever. As the fix does,
    a candidate must touch another region; blocks that do not could never move anyway,
    so the search is unchanged. Patched only while one solve runs."""
    import spopt
    import spopt.region.maxp as maxp

    if tuple(int(p) for p in spopt.__version__.split(".")[:2]) >= (0, 8):
        yield
        return
    original = maxp._pick_move_area

    def pick(labels: Any, region_lists: Any, *rest: Any) -> list[Any]:
        candidates = original(labels, region_lists, *rest)
        weight = rest[2]
        return [
            area
            for area in candidates
            if any(labels[n] != labels[area] for n in weight.neighbors[area])
        ]

    maxp._pick_move_area = pick
    try:
        yield
    finally:
        maxp._pick_move_area = original
