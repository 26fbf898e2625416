"""OGC API – Tiles over HTTP on the demo district: the tile routes, their answers (MVT,
204, 400 naming the parameter, 401/403, 404), what an anonymous caller's events tile
carries, and the metadata a client follows from the landing page to a tile."""

from __future__ import annotations

import re

import mapbox_vector_tile
import pytest

from gis import tokens
from gis.ogc import tiles
from gis.ogc.collections import COLLECTIONS
from gis.ogc.tiles import TileAddress
from tests.gis.ogc.test_tiles import IN_TILE, busiest_tile

MVT = "application/vnd.mapbox-vector-tile"
TILES_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf"
# what an event holds that the public never sees
PERSONAL = {"reporter_name", "reporter_phone", "reporter_key_sha256", "address", "notes"}
TILE_PATH = "{tileMatrixSetId}/{tileMatrix}/{tileCol}/{tileRow}"
MOBILE_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def tile_url(collection_id: str | None, tile: TileAddress) -> str:
    base = f"/ogc/collections/{collection_id}/tiles" if collection_id else "/ogc/tiles"
    return f"{base}/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}"


def test_a_tile_is_mvt_with_a_public_cache_control(client, db):
    tile = busiest_tile(db, "grids", 14)
    answer = client.get(tile_url("grids", tile))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == MVT
    assert answer.headers["cache-control"].startswith("public")
    grids = mapbox_vector_tile.decode(answer.content)["grids"]["features"]
    assert (
        len(grids)
        == db.execute(
            f"SELECT count(*) FROM grids WHERE {IN_TILE}", {"z": 14, "x": tile.x, "y": tile.y}
        ).fetchone()[0]
    )


def test_an_empty_tile_is_204(client, db):
    # the middle of the Pacific, and buildings below zoom 15
    assert client.get("/ogc/collections/grids/tiles/WebMercatorQuad/10/10/500").status_code == 204
    tile = busiest_tile(db, "buildings", 14)
    empty = client.get(tile_url("buildings", tile))
    assert empty.status_code == 204
    assert empty.content == b""
    assert empty.headers["cache-control"].startswith("public")
    assert client.get("/ogc/tiles/WebMercatorQuad/10/10/500").status_code == 204


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("grids/tiles/WebMercatorQuad/23/0/0", "tileMatrix"),
        ("grids/tiles/WebMercatorQuad/-1/0/0", "tileMatrix"),
        ("grids/tiles/WebMercatorQuad/a/0/0", "tileMatrix"),
        ("grids/tiles/WebMercatorQuad/2/4/0", "tileCol"),
        ("grids/tiles/WebMercatorQuad/2/0/4", "tileRow"),
        ("grids/tiles/WebMercatorQuad/14/1.5/0", "tileCol"),
        ("events/tiles/WebMercatorQuad/14/0/0?f=json", "f"),
        ("events/tiles/WebMercatorQuad/14/0/0?bbox=1,2,3,4", "bbox"),
        ("events/tiles/WebMercatorQuad/14/0/0?datetime=yesterday", "datetime"),
        ("events/tiles/WebMercatorQuad/14/0/0?datetime=2026-02-01/2026-01-01", "datetime"),
    ],
)
def test_a_bad_tile_request_is_400_naming_the_parameter(client, path, parameter):
    answer = client.get(f"/ogc/collections/{path}")
    assert answer.status_code == 400
    assert answer.json()["description"].startswith(f"{parameter}:")
    one_map = client.get(f"/ogc/tiles/{path.split('/', 2)[2]}")
    assert one_map.status_code == 400
    assert one_map.json()["description"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/nowhere/tiles/WebMercatorQuad/1/0/0",
        "/ogc/collections/nowhere/tiles",
        "/ogc/collections/grids/tiles/WorldCRS84Quad/1/0/0",
        "/ogc/collections/grids/tiles/WorldCRS84Quad",
        "/ogc/tiles/WorldCRS84Quad/1/0/0",
        "/ogc/tileMatrixSets/WorldCRS84Quad",
    ],
)
def test_unknown_collections_and_tile_matrix_sets_are_404(client, url):
    assert client.get(url).status_code == 404


def test_restricted_collections_tiles_are_for_their_readers(client, db):
    secrets = {role: tokens.create(db, name=f"tiles {role}", role=role) for role in ("auditor",)}
    grid = db.execute("SELECT min(grid_code) FROM grids").fetchone()[0]
    secrets["grid_member"] = tokens.create(
        db, name="tiles member", role="grid_member", grid_code=grid
    )
    db.commit()
    for collection_id in ("patrol_tracks", "street_patrols"):
        source = COLLECTIONS[collection_id]
        tile = busiest_tile(db, source.table, 15)
        for url in (
            tile_url(collection_id, tile),
            f"/ogc/collections/{collection_id}/tiles",
            f"/ogc/collections/{collection_id}/tiles/WebMercatorQuad",
        ):
            assert client.get(url).status_code == 401, url
            member = {"Authorization": f"Bearer {secrets['grid_member']}"}
            assert client.get(url, headers=member).status_code == 403, url
        auditor = {"Authorization": f"Bearer {secrets['auditor']}"}
        answer = client.get(tile_url(collection_id, tile), headers=auditor)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"].startswith("private")
        features = mapbox_vector_tile.decode(answer.content)[collection_id]["features"]
        assert features
        if collection_id == "patrol_tracks":  # a team, never a person
            assert "team_id" in features[0]["properties"]
            assert not {"person_id", "uploaded_by", "token_id"} & set(features[0]["properties"])


def test_an_anonymous_events_tile_shows_what_public_events_shows(client, db):
    tile = busiest_tile(db, "public_events", 15)
    params = {"z": tile.z, "x": tile.x, "y": tile.y}
    answer = client.get(tile_url("events", tile))
    assert answer.status_code == 200
    events = mapbox_vector_tile.decode(answer.content)["events"]["features"]
    public = {
        event_id
        for (event_id,) in db.execute(f"SELECT event_id FROM public_events WHERE {IN_TILE}", params)
    }
    private = {
        event_id
        for (event_id,) in db.execute(
            f"SELECT event_id FROM events WHERE {IN_TILE} AND event_id NOT IN"
            " (SELECT event_id FROM public_events)",
            params,
        )
    }
    shown = {feature["id"] for feature in events}
    assert shown == public
    assert private, "no event the public may not see lies in the tile: the test shows nothing"
    assert not shown & private
    allowed = {p.name for p in COLLECTIONS["events"].properties}
    public_categories = {
        code for (code,) in db.execute("SELECT category_code FROM event_categories WHERE public")
    }
    for feature in events:
        properties = feature["properties"]
        assert set(properties) <= allowed
        assert not PERSONAL & set(properties)
        assert properties["category_code"] in public_categories
        assert not MOBILE_NUMBER.search(properties.get("description", ""))


def test_datetime_narrows_a_tile_as_it_narrows_the_features(client, db):
    tile = busiest_tile(db, "public_events", 15)
    params = {"z": tile.z, "x": tile.x, "y": tile.y}
    first, last = db.execute(
        f"SELECT min(reported_at), max(reported_at) FROM public_events WHERE {IN_TILE}", params
    ).fetchone()
    middle = first + (last - first) / 2
    interval = f"{first.isoformat()}/{middle.isoformat()}"
    expected = {
        event_id
        for (event_id,) in db.execute(
            f"SELECT event_id FROM public_events WHERE {IN_TILE}"
            " AND reported_at BETWEEN %(first)s AND %(middle)s",
            {**params, "first": first, "middle": middle},
        )
    }
    answer = client.get(tile_url("events", tile), params={"datetime": interval})
    assert answer.status_code == 200
    shown = {f["id"] for f in mapbox_vector_tile.decode(answer.content)["events"]["features"]}
    assert shown == expected
    everything = client.get(tile_url("events", tile)).content
    assert 0 < len(shown) < len(mapbox_vector_tile.decode(everything)["events"]["features"])
    # the one map narrows its events alike; its timeless layers stay whole
    one_map = mapbox_vector_tile.decode(
        client.get(tile_url(None, tile), params={"datetime": interval}).content
    )
    assert {f["id"] for f in one_map["events"]["features"]} == expected
    assert one_map["grids"]["features"]


def test_a_month_of_street_patrols(client, db):
    secret = tokens.create(db, name="tiles planner", role="planner")
    db.commit()
    tile = busiest_tile(db, "street_patrols", 15)
    # a month starts at midnight China time: its instant, not a UTC day
    month, month_start = db.execute(
        "SELECT month, month_start FROM street_patrols ORDER BY month_start DESC LIMIT 1"
    ).fetchone()
    answer = client.get(
        tile_url("street_patrols", tile),
        params={"datetime": month_start.isoformat()},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 200, answer.text
    segments = mapbox_vector_tile.decode(answer.content)["street_patrols"]["features"]
    assert {f["properties"]["month"] for f in segments} == {month}
    expected = db.execute(
        f"SELECT count(*) FROM street_patrols WHERE {IN_TILE} AND month = %(month)s",
        {"z": tile.z, "x": tile.x, "y": tile.y, "month": month},
    ).fetchone()[0]
    assert len(segments) == expected > 0


def test_the_one_map_tile_has_grids_communities_centres_and_events(client, db):
    tile = busiest_tile(db, "grids", 13)
    answer = client.get(tile_url(None, tile))
    assert answer.status_code == 200
    assert answer.headers["cache-control"].startswith("public")
    layers = mapbox_vector_tile.decode(answer.content)
    assert list(layers) == ["communities", "grids", "service_centers", "events"]
    # events below zoom 14 are counts per cell
    assert "events" in layers["events"]["features"][0]["properties"]


def test_a_client_follows_links_from_the_landing_page_to_a_tile(client, db):
    landing = client.get("/ogc").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    tiling_schemes = client.get(rels["http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"])
    assert [s["id"] for s in tiling_schemes.json()["tileMatrixSets"]] == ["WebMercatorQuad"]
    one_map = client.get(rels["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]).json()
    assert one_map["tilesets"][0]["dataType"] == "vector"
    collection = client.get("/ogc/collections/grids").json()
    tilesets_href = next(
        link["href"]
        for link in collection["links"]
        if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    )
    tilesets = client.get(tilesets_href).json()
    tileset_href = next(
        link["href"] for link in tilesets["tilesets"][0]["links"] if link["rel"] == "self"
    )
    tileset = client.get(tileset_href).json()
    assert tileset["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    assert [layer["id"] for layer in tileset["layers"]] == ["grids"]
    template = next(link for link in tileset["links"] if link["rel"] == "item")
    assert template["templated"] is True
    assert template["type"] == MVT
    tile = busiest_tile(db, "grids", 14)
    href = (
        template["href"]
        .replace("{tileMatrix}", str(tile.z))
        .replace("{tileCol}", str(tile.x))
        .replace("{tileRow}", str(tile.y))
    )
    answer = client.get(href)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == MVT


def test_the_one_map_tileset_lists_its_layers_and_zooms(client):
    tileset = client.get("/ogc/tiles/WebMercatorQuad").json()
    layers = {layer["id"]: layer for layer in tileset["layers"]}
    assert list(layers) == list(tiles.MAP_LAYERS)
    assert layers["events"]["geometryDimension"] == 0
    assert layers["grids"]["maxTileMatrix"] == "22"
    buildings = client.get("/ogc/collections/buildings/tiles/WebMercatorQuad").json()
    assert buildings["layers"][0]["minTileMatrix"] == "15"


def test_web_mercator_quad_is_described_as_the_standard_has_it(client):
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert tms["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    matrices = tms["tileMatrices"]
    assert [m["id"] for m in matrices] == [str(z) for z in range(23)]
    # the values of OGC 17-083r4's annex for WebMercatorQuad
    assert matrices[0]["scaleDenominator"] == pytest.approx(559082264.028717, rel=1e-12)
    assert matrices[0]["cellSize"] == pytest.approx(156543.033928041, rel=1e-12)
    assert matrices[14]["matrixWidth"] == matrices[14]["matrixHeight"] == 16384
    assert matrices[0]["pointOfOrigin"] == pytest.approx([-20037508.3427892, 20037508.3427892])


def test_conformance_declares_the_tiles_classes(client):
    conforms_to = client.get("/ogc/conformance").json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "datetime"):
        assert f"{TILES_CONFORMANCE}/{name}" in conforms_to


def test_the_openapi_document_describes_every_tile_answer(client):
    document = client.get("/ogc/api").json()
    for source in COLLECTIONS.values():
        path = f"/collections/{source.id}/tiles/{TILE_PATH}"
        responses = document["paths"][path]["get"]["responses"]
        expected = {"200", "204", "304", "400", "404", "500"} | (
            {"401", "403"} if source.readers else set()
        )
        assert set(responses) == expected, source.id
        assert list(responses["200"]["content"]) == [MVT]
    one_map = document["paths"][f"/tiles/{TILE_PATH}"]
    assert set(one_map["get"]["responses"]) == {"200", "204", "304", "400", "404", "500"}
    for path in ("/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}", "/tiles"):
        assert path in document["paths"]
