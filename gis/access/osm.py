"""Read the walkable ways of an OpenStreetMap file (PBF or XML) as network edges.

OpenStreetMap ways connect where they share a node, so a way is cut at every node that
another way (or the way itself, a second time) also uses; what lies between two cuts is
one edge. Crossing ways without a shared node (a footbridge over a road) stay apart, as
they should. The file is read once with pyosmium (libosmium), node locations kept in
memory; nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import osmium
import shapely

from gis.progress import SILENT, Progress

# highway=* values a pedestrian may walk along. Roads with sidewalks count (in Nanning
# sidewalks are seldom mapped as separate footways); motorways and trunk roads do not:
# in Chinese cities a trunk road is an urban expressway (快速路) closed to pedestrians.
WALKING_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "corridor",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "track",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
# Paths for bicycles or horses are walkable only where foot access is granted.
WALKABLE_IF_FOOT_ALLOWED = frozenset({"cycleway", "bridleway"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
# foot=use_sidepath: pedestrians must use the separately mapped sidewalk instead.
FOOT_REFUSED = frozenset({"no", "private", "use_sidepath"})
ACCESS_REFUSED = frozenset({"no", "private"})
READABLE_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")


class OsmReadError(Exception):
    """The file is not an OpenStreetMap file pyosmium can read (message says why)."""


def refusal(tags: Mapping[str, str]) -> str | None:
    """Why a highway is not part of the walking network, or None when it is.

    Parameters
    ----------
    tags : the way's OpenStreetMap tags.

    Returns
    -------
    A short reason such as ``"highway=motorway"`` or ``"foot=no"``; None for a walkable way.
    """
    highway = tags.get("highway")
    if highway is None:
        return "no highway tag"
    foot = tags.get("foot")
    if highway not in WALKING_HIGHWAYS and not (
        highway in WALKABLE_IF_FOOT_ALLOWED and foot in FOOT_ALLOWED
    ):
        return f"highway={highway}"
    if foot in FOOT_REFUSED:
        return f"foot={foot}"
    if tags.get("access") in ACCESS_REFUSED and foot not in FOOT_ALLOWED:
        return f"access={tags['access']}"
    if tags.get("service") == "private":
        return "service=private"
    # A pedestrian square drawn as a closed area: walking its outline would be wrong, and
    # the footways across it are mapped as their own ways.
    if tags.get("area") == "yes":
        return "area=yes"
    return None


@dataclass
class WalkingEdges:
    """Walkable ways cut at shared nodes: one entry per edge, in file order."""

    osm_way_ids: list[int] = field(default_factory=list)
    highways: list[str] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    source_nodes: list[int] = field(default_factory=list)  # OpenStreetMap node ids
    target_nodes: list[int] = field(default_factory=list)
    lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # EPSG:4326
    highway_ways: int = 0  # ways with a highway tag in the file
    walkable_ways: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # reason → ways
    missing_nodes: int = 0  # node references whose node is not in the file (a clipped way)

    def __len__(self) -> int:
        return len(self.osm_way_ids)


@dataclass
class _Way:
    way_id: int
    highway: str
    name: str | None
    refs: list[int]
    coords: list[tuple[float, float]]


def highway_ways(path: Path) -> osmium.FileProcessor:
    """The ways of an OpenStreetMap file tagged ``highway``, with their nodes' locations:
    what the walking network is read from.

    Parameters
    ----------
    path : an .osm.pbf (or .osm) file.

    Returns
    -------
    pyosmium's reader, to iterate over once.
    """
    return (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )


def read_walking_edges(path: Path, *, progress: Progress = SILENT) -> WalkingEdges:
    """Read the walkable ways of an OpenStreetMap file and cut them into edges.

    Parameters
    ----------
    path : an ``.osm.pbf`` (or ``.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2``) file.
    progress : told the number of highway ways read so far, every 10,000 ways.

    Returns
    -------
    The edges, each from one shared (or end) node to the next, with the statistics of what
    was read and refused.

    Raises
    ------
    OsmReadError when the file is missing, empty or not an OpenStreetMap file.
    """
    if not path.is_file():
        raise OsmReadError("no such file")
    if path.stat().st_size == 0:
        raise OsmReadError("the file is empty (0 bytes)")
    edges = WalkingEdges()
    ways: list[_Way] = []
    try:
        for way in highway_ways(path):
            if not isinstance(way, osmium.osm.Way):  # the entity filter passes ways alone
                continue
            edges.highway_ways += 1
            if edges.highway_ways % 10_000 == 0:
                progress.describe(f"reading {path.name}: {edges.highway_ways:,} ways")
            tags = {tag.k: tag.v for tag in way.tags}
            reason = refusal(tags)
            if reason is not None:
                edges.refused[reason] += 1
                continue
            edges.walkable_ways += 1
            ways.extend(_runs(way, tags, edges))
    except RuntimeError as error:  # libosmium's errors: bad PBF blobs, XML, unknown format
        raise OsmReadError(f"not a readable OpenStreetMap file: {error}") from None
    _cut_at_shared_nodes(ways, edges)
    return edges


def _runs(way: osmium.osm.Way, tags: dict[str, str], edges: WalkingEdges) -> list[_Way]:
    """The way's stretches of nodes present in the file (an extract clips ways at its
    border, leaving references to nodes it does not hold), without repeated nodes."""
    runs: list[_Way] = []
    refs: list[int] = []
    coords: list[tuple[float, float]] = []

    def close_run() -> None:
        if len(refs) >= 2:
            runs.append(_Way(way.id, tags["highway"], tags.get("name"), refs[:], coords[:]))
        refs.clear()
        coords.clear()

    for node in way.nodes:
        location = node.location
        if not location.valid():
            edges.missing_nodes += 1
            close_run()
            continue
        if refs and refs[-1] == node.ref:
            continue
        refs.append(node.ref)
        coords.append((location.lon, location.lat))
    close_run()
    return runs


def _cut_at_shared_nodes(ways: list[_Way], edges: WalkingEdges) -> None:
    uses: Counter[int] = Counter()
    for way in ways:
        uses.update(way.refs)
    coordinates: list[tuple[float, float]] = []
    owners: list[int] = []
    for way in ways:
        last = len(way.refs) - 1
        cuts = [0, *(i for i in range(1, last) if uses[way.refs[i]] > 1), last]
        for start, end in pairwise(cuts):
            # A loop from a node back to itself (a closed footway round a pond) is cut in
            # two at its middle vertex, so that no edge runs from a node to itself.
            pieces = [(start, end)]
            if way.refs[start] == way.refs[end] and end - start >= 2:
                middle = (start + end) // 2
                pieces = [(start, middle), (middle, end)]
            for a, b in pieces:
                edges.osm_way_ids.append(way.way_id)
                edges.highways.append(way.highway)
                edges.names.append(way.name)
                edges.source_nodes.append(way.refs[a])
                edges.target_nodes.append(way.refs[b])
                coordinates.extend(way.coords[a : b + 1])
                owners.extend([len(edges.osm_way_ids) - 1] * (b - a + 1))
    if coordinates:
        edges.lines = shapely.linestrings(np.array(coordinates), indices=np.array(owners))
