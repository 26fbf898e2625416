"""Walking access to service centres: the walking network, the 5/10/15-minute service
areas drawn on it, the coverage of households, the centres' standards and the siting of
new centres.

``network`` builds and describes the pgRouting network (``walk_nodes``, ``walk_edges``);
``osm`` reads the walkable ways of an OpenStreetMap file; ``service_areas`` walks from
centres and stores their areas; ``coverage`` counts what the areas reach.
"""

from gis.access.coverage import (
    CoverageReport,
    CoverageRow,
    area_layer,
    coverage_report,
    uncovered_layer,
)
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
from gis.access.service_areas import (
    DEFAULT_BUFFER_M,
    SERVICE_MINUTES,
    ServiceAreaRun,
    compute_service_areas,
    draw_areas,
    prepare_sources,
    refresh_service_areas,
)

__all__ = [
    "DEFAULT_BUFFER_M",
    "DEFAULT_WALKING_SPEED_KMH",
    "SERVICE_MINUTES",
    "CoverageReport",
    "CoverageRow",
    "EmptyNetwork",
    "NetworkExists",
    "NetworkInputError",
    "NetworkSummary",
    "ServiceAreaRun",
    "area_layer",
    "compute_service_areas",
    "coverage_report",
    "draw_areas",
    "import_osm",
    "network_summary",
    "prepare_sources",
    "refresh_service_areas",
    "uncovered_layer",
    "walking_distance_m",
]
