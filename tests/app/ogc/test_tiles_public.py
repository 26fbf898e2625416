"""The events in vector tiles are the public view, as on every other public surface: the
report full of numbers and the care visit planted by tests/app/test_public_view.py are
looked for in the anonymous events tiles (the collection's and the one map's), at the
zooms that show points and at those that count cells."""

from __future__ import annotations

import math

import mapbox_vector_tile
import psycopg

from gis.ogc import tiles
from gis.ogc.tiles import TileAddress
from tests.app.test_public_view import ID_CARD, LANDLINE, PHONE, POINT, planted
from tests.planters.event_places import IN_EAST

__all__ = ["planted"]  # the planted district, a fixture of this module too


def _tile_of(lon: float, lat: float, z: int) -> TileAddress:
    size = 2 * tiles.HALF_WORLD_M / 2**z
    x = math.radians(lon) * tiles.HALF_WORLD_M / math.pi
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * tiles.HALF_WORLD_M / math.pi
    return TileAddress(
        z, int((x + tiles.HALF_WORLD_M) // size), int((tiles.HALF_WORLD_M - y) // size)
    )


def _in_tile_units(lon: float, lat: float, tile: TileAddress) -> tuple[float, float]:
    """Where a point falls in the tile's 4096 units, y downwards."""
    min_x, _, max_x, max_y = tile.bounds_3857
    x = math.radians(lon) * tiles.HALF_WORLD_M / math.pi
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * tiles.HALF_WORLD_M / math.pi
    scale = tiles.EXTENT / (max_x - min_x)
    return (x - min_x) * scale, (max_y - y) * scale


def _shared_tile(z: int) -> TileAddress:
    # the report and the care visit lie some 150 m apart: a tile holding both
    tile = _tile_of(*POINT, z)
    assert tile == _tile_of(*IN_EAST, z), "pick a zoom whose tile holds both points"
    return tile


def _events(client, url: str) -> tuple[bytes, list[dict]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return answer.content, mapbox_vector_tile.decode(
        answer.content, default_options={"y_coord_down": True}
    )["events"]["features"]


def test_an_anonymous_tile_shows_the_report_masked_and_coarse_and_no_care_visit(planted):
    client, report, care = planted["client"], planted["report"], planted["care"]
    tile = _shared_tile(15)
    with psycopg.connect(planted["url"]) as conn:
        public_lon, public_lat = conn.execute(
            "SELECT ST_X(geom), ST_Y(geom) FROM public_events WHERE event_id = %s",
            (report["id"],),
        ).fetchone()
    for url in (
        f"/ogc/collections/events/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}",
        f"/ogc/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}",
    ):
        body, events = _events(client, url)
        for secret in (PHONE.encode(), ID_CARD.encode(), b"5551234", "独居老人".encode()):
            assert secret not in body, (url, secret)
        shown = {feature["id"]: feature for feature in events}
        assert report["id"] in shown and care["id"] not in shown, url
        feature = shown[report["id"]]
        assert "139****5678" in feature["properties"]["description"]
        assert LANDLINE not in feature["properties"]["description"]
        drawn = feature["geometry"]["coordinates"]
        public = _in_tile_units(public_lon, public_lat, tile)
        reported = _in_tile_units(*POINT, tile)
        # where the public view puts it (its 50 m cell's centre), not where it was reported
        assert math.dist(drawn, public) <= 1
        assert math.dist(drawn, reported) > 10


def test_an_anonymous_cell_counts_no_care_visit(planted):
    client = planted["client"]
    tile = _shared_tile(12)
    with psycopg.connect(planted["url"]) as conn:
        public, everything = conn.execute(
            "SELECT (SELECT count(*) FROM public_events WHERE ST_Intersects(geom, t)),"
            " (SELECT count(*) FROM events WHERE ST_Intersects(geom, t))"
            " FROM ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326) AS t",
            (tile.z, tile.x, tile.y),
        ).fetchone()
    assert everything > public > 0
    for url in (
        f"/ogc/collections/events/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}",
        f"/ogc/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}",
    ):
        _, cells = _events(client, url)
        assert sum(cell["properties"]["events"] for cell in cells) == public, url
