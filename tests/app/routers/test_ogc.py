"""OGC API – Features at /ogc on the demo district, checked against PostGIS itself.

Every count, bbox and transform the API answers is recomputed in SQL on the same database,
so a test fails when the API and PostGIS disagree, not when a hand-written number drifts.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation import OpenAPIV30SpecValidator
from psycopg import sql

from gis.ogc.collections import COLLECTIONS
from gis.ogc.selection import crs_by_uri, where_clause

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"

# Jiangnan's built-up core around the demo's centre (108.29 E, 22.78 N), in CRS84.
CORE = (108.27, 22.77, 108.30, 22.79)

pytestmark = pytest.mark.usefixtures("demo_district")
# what anyone may read: a restricted collection (patrol tracks) is not even listed to them
PUBLIC = [c for c, source in COLLECTIONS.items() if not source.readers]


def scalar(db: psycopg.Connection, query: str, *params: object) -> Any:
    row = db.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def ids_in_sql(db: psycopg.Connection, collection: str, where: str, *params: object) -> set[str]:
    source = COLLECTIONS[collection]
    rows = db.execute(
        f"SELECT {source.id_column}::text FROM {source.table} WHERE {where}", params
    ).fetchall()
    return {str(row[0]) for row in rows}


def get_json(client, url: str, **params: object) -> dict[str, Any]:
    # No params at all for a link's href: httpx would replace its query with an empty one.
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def link(document: dict[str, Any], rel: str) -> dict[str, str] | None:
    return next((lk for lk in document["links"] if lk["rel"] == rel), None)


def walk_pages(client, url: str, **params: object) -> tuple[list[str], list[dict[str, Any]]]:
    """Every feature id reached from the first page by following next links, and the pages."""
    pages = [get_json(client, url, **params)]
    while (following := link(pages[-1], "next")) is not None:
        assert len(pages) < 1000, "next links do not end"
        pages.append(get_json(client, following["href"]))
    ids = [str(feature["id"]) for page in pages for feature in page["features"]]
    return ids, pages


# --- landing page, conformance, API definition -------------------------------------------


@pytest.mark.parametrize("path", ["/ogc", "/ogc/"])
def test_landing_page_links_the_api_conformance_and_data(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    links = {lk["rel"]: lk for lk in response.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["type"] == OPENAPI_JSON
    assert links["service-doc"]["type"] == "text/html"
    for lk in links.values():
        assert lk["href"].startswith("http://testserver/ogc"), lk
        assert "type" in lk


def test_conformance_declares_core_geojson_oas30_and_crs(client):
    conforms_to = get_json(client, "/ogc/conformance")["conformsTo"]
    for conformance_class in (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ):
        assert conformance_class in conforms_to


def test_service_desc_is_a_valid_openapi_30_document(client):
    landing = get_json(client, "/ogc")
    response = client.get(link(landing, "service-desc")["href"])
    assert response.status_code == 200
    assert response.headers["content-type"] == OPENAPI_JSON
    spec = response.json()
    assert spec["openapi"].startswith("3.0.")
    validate_openapi(spec, cls=OpenAPIV30SpecValidator)
    assert spec["servers"] == [{"url": "http://testserver/ogc"}]


def test_openapi_describes_every_collection_with_its_filters(client):
    spec = get_json(client, "/ogc/api")
    parameters = spec["components"]["parameters"]
    bbox = parameters["bbox"]
    assert bbox["schema"] == {
        "type": "array",
        "minItems": 4,
        "maxItems": 6,
        "items": {"type": "number"},
    }
    assert (bbox["style"], bbox["explode"], bbox["required"]) == ("form", False, False)
    assert parameters["limit"]["schema"]["maximum"] == 10_000
    assert parameters["limit"]["schema"]["default"] == 10
    for collection_id, source in COLLECTIONS.items():
        operation = spec["paths"][f"/collections/{collection_id}/items"]["get"]
        names = {
            parameters[p["$ref"].rsplit("/", 1)[1]]["name"] if "$ref" in p else p["name"]
            for p in operation["parameters"]
        }
        assert {"f", "bbox", "bbox-crs", "crs", "limit", "after", "before", "datetime"} <= names
        assert {p.name for p in source.properties if p.filterable} <= names
        assert f"/collections/{collection_id}/items/{{featureId}}" in spec["paths"]


def test_service_doc_is_html(client):
    response = client.get("/ogc/api.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/collections/grids/items" in response.text


# --- collections --------------------------------------------------------------------------


def test_collections_lists_the_registry_with_crs_and_extent(client, db):
    document = get_json(client, "/ogc/collections")
    assert link(document, "self")["type"] == "application/json"
    listed = {c["id"]: c for c in document["collections"]}
    assert list(listed) == list(PUBLIC)
    for collection_id, collection in listed.items():
        source = COLLECTIONS[collection_id]
        assert collection["crs"][0] == CRS84
        assert {EPSG_4326, EPSG_4490, EPSG_3857} <= set(collection["crs"])
        assert collection["storageCrs"] == CRS84
        assert link(collection, "items")["type"] == "application/geo+json"
        assert collection["extent"]["spatial"]["crs"] == CRS84
        [bbox] = collection["extent"]["spatial"]["bbox"]
        expected = db.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {source.table}) AS extent"
        ).fetchone()
        assert bbox == pytest.approx(list(expected), abs=1e-6)
        assert ("temporal" in collection["extent"]) == (source.temporal_column is not None)


def test_temporal_extent_spans_the_events(client, db):
    interval = get_json(client, "/ogc/collections/events")["extent"]["temporal"]["interval"]
    first, last = (datetime.fromisoformat(instant) for instant in interval[0])
    assert first == scalar(db, "SELECT min(reported_at) FROM events")
    assert last == scalar(db, "SELECT max(reported_at) FROM events")


def test_collection_matches_its_entry_in_collections(client):
    listed = {c["id"]: c for c in get_json(client, "/ogc/collections")["collections"]}
    for collection_id in PUBLIC:
        assert get_json(client, f"/ogc/collections/{collection_id}") == listed[collection_id]


# --- items --------------------------------------------------------------------------------


@pytest.mark.parametrize("collection_id", PUBLIC)
def test_items_are_geojson_with_exact_counts(client, db, collection_id):
    source = COLLECTIONS[collection_id]
    response = client.get(f"/ogc/collections/{collection_id}/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-crs"] == f"<{CRS84}>"
    page = response.json()
    assert page["type"] == "FeatureCollection"
    matched = scalar(db, f"SELECT count(*) FROM {source.table}")
    assert page["numberMatched"] == matched > 0
    # the first page of the default 10; a collection with fewer (the river) fits in it
    assert page["numberReturned"] == len(page["features"]) == min(matched, 10)
    # no timeStamp: the same data give the same bytes under a strong ETag
    assert "timeStamp" not in page
    for feature in page["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == source.geometry_type
        assert list(feature["properties"]) == [p.name for p in source.properties]
        assert isinstance(feature["id"], int if source.id_type == "integer" else str)
    more = {"next"} if matched > 10 else set()
    assert {lk["rel"] for lk in page["links"]} == {"self", "collection"} | more


def test_feature_collection_validates_as_geojson(client):
    # The structural rules of RFC 7946 that clients rely on: rings closed, 2D positions.
    page = get_json(client, "/ogc/collections/grids/items", limit=50)
    schema = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "id", "geometry", "properties"],
                    "properties": {"properties": {"type": "object"}},
                },
            }
        },
    }
    Draft202012Validator(schema).validate(page)
    for feature in page["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4


@pytest.mark.parametrize("collection_id", ["grids", "buildings", "events"])
def test_bbox_selects_what_st_intersects_selects(client, db, collection_id):
    ids, pages = walk_pages(
        client,
        f"/ogc/collections/{collection_id}/items",
        bbox=",".join(map(str, CORE)),
        limit=500,
    )
    expected = ids_in_sql(
        db, collection_id, "ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", *CORE
    )
    assert expected, "the core box should hold some features"
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert pages[0]["numberMatched"] == len(expected)


def test_bbox_in_epsg_4326_takes_latitude_first(client):
    west, south, east, north = CORE
    by_crs84 = get_json(
        client, "/ogc/collections/grids/items", bbox=f"{west},{south},{east},{north}", limit=1000
    )
    by_epsg = get_json(
        client,
        "/ogc/collections/grids/items",
        bbox=f"{south},{west},{north},{east}",
        **{"bbox-crs": EPSG_4326},
        limit=1000,
    )
    assert by_epsg["numberMatched"] == by_crs84["numberMatched"] > 0
    assert [f["id"] for f in by_epsg["features"]] == [f["id"] for f in by_crs84["features"]]


def test_bbox_in_web_mercator_is_transformed_to_storage(client, db):
    corners = db.execute(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
        "(SELECT ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 3857)::box2d AS b) AS t",
        CORE,
    ).fetchone()
    ids, _ = walk_pages(
        client,
        "/ogc/collections/buildings/items",
        bbox=",".join(map(str, corners)),
        **{"bbox-crs": EPSG_3857},
        limit=1000,
    )
    expected = ids_in_sql(
        db,
        "buildings",
        "ST_Intersects(geom, ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 3857), 4326))",
        *corners,
    )
    assert set(ids) == expected and expected


@pytest.mark.parametrize("bbox_crs", [CRS84, EPSG_3857])
def test_bbox_filter_is_answered_by_the_spatial_index(db, bbox_crs):
    # The envelope is transformed to the storage SRID, never the column, so the GiST
    # index applies whatever CRS the bbox came in.
    box = (108.285, 22.775, 108.287, 22.777)
    if bbox_crs == EPSG_3857:
        box = db.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
            "(SELECT ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 3857)::box2d AS b) t",
            box,
        ).fetchone()
    where, params = where_clause(
        COLLECTIONS["buildings"],
        bbox=box,
        bbox_crs=crs_by_uri(bbox_crs),
        datetime=None,
        filters=None,
    )
    plan = db.execute(
        sql.SQL("EXPLAIN SELECT count(*) FROM buildings WHERE {}").format(where), params
    ).fetchall()
    assert "buildings_geom_idx" in "\n".join(row[0] for row in plan)


@pytest.mark.parametrize(("collection_id", "limit"), [("grids", 37), ("service_centers", 50)])
def test_next_links_reach_every_feature_exactly_once(client, db, collection_id, limit):
    ids, pages = walk_pages(client, f"/ogc/collections/{collection_id}/items", limit=limit)
    source = COLLECTIONS[collection_id]
    assert len(ids) == len(set(ids)) == scalar(db, f"SELECT count(*) FROM {source.table}")
    assert set(ids) == ids_in_sql(db, collection_id, "true")
    assert all(page["numberReturned"] == limit for page in pages[:-1])
    assert link(pages[0], "prev") is None
    assert link(pages[-1], "next") is None


def test_prev_link_returns_the_previous_page(client):
    first = get_json(client, "/ogc/collections/grids/items", limit=25, grid_type="base")
    second = get_json(client, link(first, "next")["href"])
    previous = link(second, "prev")
    assert previous is not None
    assert parse_qs(urlsplit(previous["href"]).query)["grid_type"] == ["base"]
    back = get_json(client, previous["href"])
    assert [f["id"] for f in back["features"]] == [f["id"] for f in first["features"]]
    assert link(back, "prev") is None
    assert link(back, "next")["href"] == link(first, "next")["href"]


def test_paging_through_a_filtered_collection(client, db):
    community = scalar(
        db,
        "SELECT rtrim(community_code) FROM buildings GROUP BY community_code "
        "ORDER BY count(*) DESC LIMIT 1",
    )
    ids, pages = walk_pages(
        client, "/ogc/collections/buildings/items", community_code=community, limit=40
    )
    expected = ids_in_sql(db, "buildings", "community_code = %s", community)
    assert len(pages) > 2
    assert len(ids) == len(set(ids)) == pages[0]["numberMatched"] == len(expected)
    assert set(ids) == expected
    for page in pages:
        for feature in page["features"]:
            assert feature["properties"]["community_code"] == community


@pytest.mark.parametrize(
    ("collection_id", "params", "where"),
    [
        ("grids", {"grid_type": "dedicated"}, "grid_type = 'dedicated'"),
        ("grids", {"community_code": "{community}"}, "rtrim(community_code) = '{community}'"),
        ("buildings", {"floors": "6"}, "floors = 6"),
        ("buildings", {"building_use": "residential"}, "building_use = 'residential'"),
        ("compounds", {"has_property_manager": "false"}, "NOT has_property_manager"),
        ("events", {"status": "closed"}, "status = 'closed'"),
        ("events", {"overdue": "true"}, "overdue"),
        ("events", {"escalation_level": "1"}, "escalation_level = 1"),
        (
            "events",
            {"department": "chengguan", "status": "evaluated"},
            "department_id = (SELECT department_id FROM departments"
            " WHERE department_code = 'chengguan') AND status = 'evaluated'",
        ),
        ("service_centers", {"level": "community"}, "level = 'community'"),
        (
            "buildings",
            {"floors": "6", "building_use": "residential"},
            "floors = 6 AND building_use = 'residential'",
        ),
    ],
)
def test_number_matched_with_filters_equals_sql_count(client, db, collection_id, params, where):
    community = scalar(db, "SELECT rtrim(min(community_code)) FROM grids")
    params = {k: v.format(community=community) for k, v in params.items()}
    source = COLLECTIONS[collection_id]
    page = get_json(client, f"/ogc/collections/{collection_id}/items", **params, limit=1000)
    expected = scalar(
        db, f"SELECT count(*) FROM {source.table} WHERE {where.format(community=community)}"
    )
    assert page["numberMatched"] == expected
    for feature in page["features"]:
        for name, value in params.items():
            assert str(feature["properties"][name]).lower() == value


def test_datetime_interval_on_events(client, db):
    # The second quarter of the events' span, with the offsets PostgreSQL prints.
    first, last = db.execute("SELECT min(reported_at), max(reported_at) FROM events").fetchone()
    start = (first + (last - first) / 4).isoformat()
    end = (first + (last - first) / 2).isoformat()
    for value, where, params in [
        (f"{start}/{end}", "reported_at BETWEEN %s AND %s", (start, end)),
        (f"{start}/..", "reported_at >= %s", (start,)),
        (f"../{end}", "reported_at <= %s", (end,)),
        (f"/{end}", "reported_at <= %s", (end,)),
    ]:
        page = get_json(client, "/ogc/collections/events/items", datetime=value)
        # the collection is the public view of events (public_events)
        assert page["numberMatched"] == scalar(
            db, f"SELECT count(*) FROM public_events WHERE {where}", *params
        ), value
    assert (
        scalar(db, "SELECT count(*) FROM events WHERE reported_at BETWEEN %s AND %s", start, end)
        > 0
    )


def test_datetime_as_a_date_covers_that_whole_day(client, db):
    day = scalar(db, "SELECT (min(reported_at) AT TIME ZONE 'UTC')::date FROM events")
    page = get_json(client, "/ogc/collections/events/items", datetime=day.isoformat())
    expected = scalar(
        db, "SELECT count(*) FROM events WHERE (reported_at AT TIME ZONE 'UTC')::date = %s", day
    )
    assert page["numberMatched"] == expected > 0


def test_datetime_instant_matches_exactly(client, db):
    instant = scalar(db, "SELECT reported_at FROM public_events ORDER BY event_id LIMIT 1")
    page = get_json(client, "/ogc/collections/events/items", datetime=instant.isoformat())
    assert page["numberMatched"] == scalar(
        db, "SELECT count(*) FROM events WHERE reported_at = %s", instant
    )


def test_datetime_offset_survives_an_unencoded_plus(client, db):
    instant = scalar(db, "SELECT reported_at FROM public_events ORDER BY event_id LIMIT 1")
    local = instant.astimezone(timezone(timedelta(hours=8))).isoformat()
    assert local.endswith("+08:00")
    # Typed into a browser, '+' is not percent-encoded and arrives as a space.
    response = client.get(f"/ogc/collections/events/items?datetime={local}/..")
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == scalar(
        db, "SELECT count(*) FROM public_events WHERE reported_at >= %s", instant
    )


def test_bbox_with_heights_ignores_them(client):
    flat = get_json(client, "/ogc/collections/grids/items", bbox=",".join(map(str, CORE)))
    west, south, east, north = CORE
    tall = get_json(
        client, "/ogc/collections/grids/items", bbox=f"{west},{south},-10,{east},{north},500"
    )
    assert tall["numberMatched"] == flat["numberMatched"] > 0


def test_datetime_leaves_timeless_collections_whole(client, db):
    page = get_json(client, "/ogc/collections/grids/items", datetime="2020-01-01/2020-01-02")
    assert page["numberMatched"] == scalar(db, "SELECT count(*) FROM grids")


def test_limit_above_the_maximum_is_clamped(client, db):
    page = get_json(client, "/ogc/collections/buildings/items", limit=25_000)
    assert page["numberReturned"] == min(10_000, scalar(db, "SELECT count(*) FROM buildings"))
    assert parse_qs(urlsplit(link(page, "self")["href"]).query)["limit"] == ["10000"]


# --- one feature --------------------------------------------------------------------------


def test_item_by_id_carries_its_row(client, db):
    code = scalar(db, "SELECT rtrim(max(building_code)) FROM buildings")
    response = client.get(f"/ogc/collections/buildings/items/{code}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-crs"] == f"<{CRS84}>"
    feature = response.json()
    assert feature["id"] == code
    row = db.execute(
        "SELECT floors, households, population, rtrim(community_code), "
        "ST_AsGeoJSON(geom)::json FROM buildings WHERE building_code = %s",
        (code,),
    ).fetchone()
    properties = feature["properties"]
    assert (
        properties["floors"],
        properties["households"],
        properties["population"],
        properties["community_code"],
    ) == row[:4]
    assert feature["geometry"]["type"] == row[4]["type"]
    assert _coordinates(feature["geometry"]) == pytest.approx(_coordinates(row[4]), abs=1e-9)
    rels = {lk["rel"]: lk for lk in feature["links"]}
    assert rels["self"]["href"] == f"http://testserver/ogc/collections/buildings/items/{code}"
    assert rels["collection"]["href"] == "http://testserver/ogc/collections/buildings"


def test_item_with_an_integer_id(client, db):
    event_id = scalar(db, "SELECT max(event_id) FROM events")
    feature = get_json(client, f"/ogc/collections/events/items/{event_id}")
    assert feature["id"] == event_id
    assert "reporter" not in json.dumps(feature)


def _coordinates(geometry: dict[str, Any]) -> list[float]:
    """The flat list of numbers in a GeoJSON geometry."""
    flat: list[float] = []

    def walk(node: Any) -> None:
        if isinstance(node, (int, float)):
            flat.append(float(node))
        else:
            for child in node:
                walk(child)

    walk(geometry["coordinates"])
    return flat


@pytest.mark.parametrize(
    ("crs", "expression"),
    [
        (CRS84, "geom"),
        (EPSG_4326, "ST_FlipCoordinates(geom)"),
        (EPSG_4490, "ST_FlipCoordinates(ST_Transform(geom, 4490))"),
        (EPSG_3857, "ST_Transform(geom, 3857)"),
    ],
)
def test_item_in_each_crs_matches_postgis(client, db, crs, expression):
    code = scalar(db, "SELECT rtrim(min(grid_code)) FROM grids")
    response = client.get(f"/ogc/collections/grids/items/{code}", params={"crs": crs})
    assert response.status_code == 200
    assert response.headers["content-crs"] == f"<{crs}>"
    served = response.json()["geometry"]
    expected = scalar(
        db, f"SELECT ST_AsGeoJSON({expression}, 15)::json FROM grids WHERE grid_code = %s", code
    )
    assert "crs" not in served
    tolerance = 1e-3 if crs == EPSG_3857 else 1e-9
    assert _coordinates(served) == pytest.approx(_coordinates(expected), abs=tolerance)
    if crs == EPSG_4326:  # latitude first: Nanning is near 22.8 N, 108.3 E
        assert 20 < _coordinates(served)[0] < 25 and 105 < _coordinates(served)[1] < 110


def test_items_page_in_web_mercator(client, db):
    response = client.get(
        "/ogc/collections/service_centers/items", params={"crs": EPSG_3857, "limit": 5}
    )
    assert response.headers["content-crs"] == f"<{EPSG_3857}>"
    for feature in response.json()["features"]:
        expected = scalar(
            db,
            "SELECT ST_AsGeoJSON(ST_Transform(geom, 3857), 15)::json FROM service_centers "
            "WHERE center_id = %s",
            feature["id"],
        )
        assert _coordinates(feature["geometry"]) == pytest.approx(_coordinates(expected), abs=1e-3)
    assert "crs=" in link(response.json(), "next")["href"]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "problem"),
    [
        ("bbox=108.2,22.7,108.3", "bbox", "4 or 6"),
        ("bbox=108.2,22.7,108.3,22.8,1", "bbox", "4 or 6"),
        ("bbox=west,22.7,108.3,22.8", "bbox", "numbers"),
        ("bbox=108.3,22.7,108.2,22.8", "bbox", "exceeds"),
        ("bbox=108.2,22.8,108.3,22.7", "bbox", "exceeds"),
        ("bbox=108.2,-95,108.3,22.8", "bbox", "latitude"),
        ("bbox=22.7,108.2,95,108.3&bbox-crs=" + EPSG_4326, "bbox", "latitude"),
        ("bbox=108.2,22.7,108.3,nan", "bbox", "finite"),
        ("limit=0", "limit", "positive integer"),
        ("limit=-5", "limit", "positive integer"),
        ("limit=2.5", "limit", "positive integer"),
        ("limit=unlimited", "limit", "positive integer"),
        ("ooga=booga", "ooga", "unknown query parameter"),
        ("dateTime=2024-01-01", "dateTime", "unknown query parameter"),
        ("members=3", "members", "unknown query parameter"),
        ("limit=5&limit=6", "limit", "more than once"),
        ("crs=EPSG:3857", "crs", "unsupported CRS"),
        ("crs=http://www.opengis.net/def/crs/EPSG/0/4545", "crs", "unsupported CRS"),
        ("bbox=1,2,3,4&bbox-crs=urn:ogc:def:crs:EPSG::4326", "bbox-crs", "unsupported CRS"),
        ("datetime=yesterday", "datetime", "RFC 3339"),
        ("datetime=2024-01-01T08:00:00", "datetime", "RFC 3339"),
        ("datetime=2024-02-30", "datetime", "day"),
        ("datetime=../..", "datetime", "at least one end"),
        ("datetime=2024-05-01/2024-04-01", "datetime", "starts after it ends"),
        ("grid_type=base&leaders=1", "leaders", "unknown query parameter"),
        ("after=1&before=2", "before", "cannot be combined"),
        ("f=html", "f", "unsupported format"),
        ("name=a%00b", "name", "NUL"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter, problem):
    response = client.get(f"/ogc/collections/grids/items?{query}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "InvalidParameter"
    assert body["description"].startswith(f"{parameter}: ")
    assert problem in body["description"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/ogc/collections/buildings/items?floors=six", "floors"),
        ("/ogc/collections/compounds/items?has_property_manager=yes", "has_property_manager"),
        ("/ogc/collections/events/items?after=last", "after"),
        ("/ogc/collections/grids/items/450105001001001?bbox=1,2,3,4", "bbox"),
        ("/ogc/collections/grids/items/450105001001001?crs=EPSG:4326", "crs"),
        ("/ogc?foo=1", "foo"),
        ("/ogc/conformance?f=html", "f"),
        ("/ogc/collections?limit=1", "limit"),
        ("/ogc/collections/grids?bbox=1,2,3,4", "bbox"),
    ],
)
def test_bad_parameters_elsewhere_are_400(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(f"{parameter}: ")


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/parcels",
        "/ogc/collections/parcels/items",
        "/ogc/collections/parcels/items/1",
        "/ogc/collections/grids/items/999999999999999",
        "/ogc/collections/grids/items/not-a-grid",
        "/ogc/collections/events/items/0",
        "/ogc/collections/events/items/not-a-number",
        "/ogc/collections/grids/items/4501%00",
    ],
)
def test_unknown_collections_and_features_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NotFound"
    assert body["description"]


# --- restricted collections ---------------------------------------------------------------


def test_patrol_tracks_are_for_the_command_centre_auditors_and_planners(client, db):
    from gis import tokens

    secrets = {
        role: tokens.create(db, name=f"ogc {role}", role=role)
        for role in ("auditor", "planner", "staff")
    }
    secrets["grid_member"] = tokens.create(
        db, name="ogc member", role="grid_member", grid_code=min(ids_in_sql(db, "grids", "true"))
    )
    db.commit()
    track = min(ids_in_sql(db, "patrol_tracks", "true"))
    segment = min(ids_in_sql(db, "street_patrols", "true"))
    paths = (
        "/ogc/collections/patrol_tracks",
        "/ogc/collections/patrol_tracks/items",
        f"/ogc/collections/patrol_tracks/items/{track}",
        "/ogc/collections/street_patrols",
        f"/ogc/collections/street_patrols/items/{segment}",
    )
    for path in paths:
        assert client.get(path).status_code == 401
        member = {"Authorization": f"Bearer {secrets['grid_member']}"}
        assert client.get(path, headers=member).status_code == 403
        for role in ("auditor", "planner", "staff"):
            answer = client.get(path, headers={"Authorization": f"Bearer {secrets[role]}"})
            assert answer.status_code == 200, (path, role, answer.text)
    public = [c["id"] for c in get_json(client, "/ogc/collections")["collections"]]
    auditor = client.get(
        "/ogc/collections", headers={"Authorization": f"Bearer {secrets['auditor']}"}
    ).json()
    assert "patrol_tracks" not in public and "street_patrols" not in public
    assert [c["id"] for c in auditor["collections"]] == list(COLLECTIONS)
    feature = client.get(paths[2], headers={"Authorization": f"Bearer {secrets['auditor']}"}).json()
    # a team, never a person
    assert {"team_id", "team_name", "team_kind"} <= set(feature["properties"])
    assert not {"person_id", "uploaded_by", "token_id"} & set(feature["properties"])


def test_street_patrols_of_a_month_are_the_segments_patrolled_or_not(client, db):
    from gis import tokens

    headers = {"Authorization": f"Bearer {tokens.create(db, name='ogc sp', role='planner')}"}
    db.commit()
    month = db.execute("SELECT max(month) FROM patrolled_targets").fetchone()[0]
    label = month.strftime("%Y-%m")
    for patrolled in ("true", "false"):
        answer = client.get(
            "/ogc/collections/street_patrols/items",
            params={"month": label, "patrolled": patrolled, "limit": 5},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        expected = db.execute(
            "SELECT count(*) FROM patrol_targets AS t WHERE t.kind = 'street' AND"
            f" {'' if patrolled == 'true' else 'NOT'} EXISTS (SELECT 1 FROM patrolled_targets"
            " AS p WHERE p.target_id = t.target_id AND p.month = %s)",
            (month,),
        ).fetchone()[0]
        assert page["numberMatched"] == expected > 0
        for feature in page["features"]:
            properties = feature["properties"]
            assert properties["month"] == label
            assert properties["patrolled"] is (patrolled == "true")
            assert (properties["passes"] > 0) is (patrolled == "true")
            assert feature["geometry"]["type"] == "LineString"
