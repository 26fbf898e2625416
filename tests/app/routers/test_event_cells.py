"""GET /api/v1/events/cells on the demo district: the events a listing gives, counted per
Web Mercator cell, checked against the listing itself with the cells worked out here
independently (pyproj), for several zooms and filters; and its bad input."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from pyproj import Transformer

from gis.events.cells import CELL_PIXELS, POINTS_FROM_ZOOM, cell_size

EVENTS = "/api/v1/events"
CELLS = "/api/v1/events/cells"
HALF_WORLD = 20037508.342789244
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def _listed(client, params: dict[str, str]) -> list[dict[str, Any]]:
    # every page of the listing for these filters
    features: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = client.get(EVENTS, params={**params, "limit": 1000, "offset": offset}).json()
        features += page["features"]
        offset += 1000
        if offset >= page["numberMatched"]:
            return features


def _district_bbox(client) -> str:
    extent = client.get("/ogc/collections/subdistricts").json()["extent"]["spatial"]["bbox"][0]
    return ",".join(str(value) for value in extent)


def _cell_of(feature: dict[str, Any], zoom: int) -> str:
    lng, lat = feature["geometry"]["coordinates"]
    x, y = TO_MERCATOR.transform(lng, lat)
    size = cell_size(zoom)
    return f"{zoom}/{math.floor((x + HALF_WORLD) / size)}/{math.floor((y + HALF_WORLD) / size)}"


@pytest.mark.parametrize(
    ("zoom", "filters"),
    [
        (10, {}),
        (12, {"status": "reported,filed,dispatched,in_progress,handled"}),
        (13, {"category": "01"}),
        (13, {"reported_after": "2026-10-01", "reported_before": "2026-11-01", "source": "qr"}),
    ],
)
def test_the_cells_count_what_the_listing_gives(client, zoom, filters) -> None:
    params = {**filters, "bbox": _district_bbox(client)}
    listed = _listed(client, params)
    answer = client.get(CELLS, params={**params, "zoom": zoom})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    counted = answer.json()
    assert counted["numberMatched"] == len(listed) > 20
    assert counted["numberReturned"] == len(counted["features"])
    # every event in the cell its public point lies in, and nothing else in any cell
    expected = Counter(_cell_of(feature, zoom) for feature in listed)
    assert {cell["id"]: cell["properties"]["events"] for cell in counted["features"]} == expected
    overdue = Counter(_cell_of(f, zoom) for f in listed if f["properties"]["overdue"])
    cells = counted["features"]
    assert {
        c["id"]: c["properties"]["overdue"] for c in cells if c["properties"]["overdue"]
    } == overdue
    stages = Counter((_cell_of(f, zoom), f["properties"]["status"]) for f in listed)
    assert {
        (cell["id"], status): events
        for cell in counted["features"]
        for status, events in cell["properties"]["stages"].items()
    } == stages
    escalated = sum(1 for f in listed if f["properties"]["escalation_level"] > 0)
    assert sum(cell["properties"]["escalated"] for cell in counted["features"]) == escalated
    # the most events first; each cell's point among its events, inside the box they span,
    # and the box inside the cell
    sizes = [cell["properties"]["events"] for cell in counted["features"]]
    assert sizes == sorted(sizes, reverse=True)
    for cell in counted["features"]:
        west, south, east, north = cell["bbox"]
        lng, lat = cell["geometry"]["coordinates"]
        assert west - 1e-6 <= lng <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6
        corners = [TO_MERCATOR.transform(*corner) for corner in ((west, south), (east, north))]
        column, row = (int(part) for part in cell["id"].split("/")[1:])
        size = cell_size(zoom)
        for x, y in corners:
            assert column * size - 1 <= x + HALF_WORLD <= (column + 1) * size + 1
            assert row * size - 1 <= y + HALF_WORLD <= (row + 1) * size + 1


def test_a_cell_is_its_pixels_across_and_the_map_zooms_to_points_before_streets() -> None:
    # 64 pixels of a 256-pixel tile: a quarter of a tile, at any zoom
    assert cell_size(0) == pytest.approx(2 * HALF_WORLD / 4)
    assert cell_size(12) / cell_size(13) == pytest.approx(2)
    assert CELL_PIXELS == 64 and POINTS_FROM_ZOOM == 14


def test_zooming_in_splits_cells_and_keeps_the_count(client) -> None:
    bbox = _district_bbox(client)
    totals = {}
    counts = {}
    for zoom in (9, 11, 13):
        counted = client.get(CELLS, params={"bbox": bbox, "zoom": zoom}).json()
        totals[zoom] = counted["numberMatched"]
        counts[zoom] = counted["numberReturned"]
    assert len(set(totals.values())) == 1
    assert counts[9] < counts[11] < counts[13]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "zoom"),
        ({"zoom": "23"}, "zoom"),
        ({"zoom": "-1"}, "zoom"),
        ({"zoom": "twelve"}, "zoom"),
        ({"zoom": "12", "bbox": "1,2,3"}, "bbox"),
        ({"zoom": "16"}, "bbox"),  # the whole world in cells of 150 m
        ({"zoom": "18", "bbox": "100,20,115,30"}, "bbox"),
        ({"zoom": "12", "bbox": "108.2,22.7,108.4,22.9", "status": "lost"}, "status"),
        ({"zoom": "12", "limit": "10"}, "limit"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, params, named) -> None:
    answer = client.get(CELLS, params=params)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (problem["code"], problem["status"]) == ("InvalidParameter", 400)
    assert problem["detail"].startswith(named), problem["detail"]
