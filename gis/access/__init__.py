"""Walking access to service centres: the walking network (this part), and on it the
5/10/15-minute service areas, coverage and siting.

``network`` builds and describes the pgRouting network (``walk_nodes``, ``walk_edges``);
``osm`` reads the walkable ways of an OpenStreetMap file.
"""

from gis.access.network import (
    DEFAULT_WALKING_SPEED_KMH,
    EmptyNetwork,
    NetworkExists,
    NetworkInputError,
    NetworkSummary,
    import_osm,
    network_summary,
    walking_distance_m,
)

__all__ = [
    "DEFAULT_WALKING_SPEED_KMH",
    "EmptyNetwork",
    "NetworkExists",
    "NetworkInputError",
    "NetworkSummary",
    "import_osm",
    "network_summary",
    "walking_distance_m",
]
