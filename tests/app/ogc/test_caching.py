"""Cached reads of the OGC API on the demo district: strong ETags, 304 Not Modified,
Cache-Control and Vary, and extents kept until their collection changes.

Each test changes a real row through PostgreSQL (and puts it back), so the ETag is seen
to follow the data, not the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from gis.ogc import features

pytestmark = pytest.mark.usefixtures("demo_district")

CORE_BBOX = "108.27,22.77,108.30,22.79"


def revalidate(client, path: str, etag: str, **headers: str) -> Any:
    return client.get(path, headers={"If-None-Match": etag, **headers})


@pytest.fixture
def building(db: psycopg.Connection) -> Iterator[str]:
    """A building of the core whose name the test may change; put back afterwards."""
    code, name = db.execute(
        "SELECT rtrim(building_code), name FROM buildings"
        " WHERE ST_Intersects(geom, ST_MakeEnvelope(108.27, 22.77, 108.30, 22.79, 4326))"
        " ORDER BY building_code LIMIT 1"
    ).fetchone()
    yield code
    db.rollback()
    db.execute("UPDATE buildings SET name = %s WHERE building_code = %s", (name, code))
    db.commit()


def rename(db: psycopg.Connection, code: str, name: str) -> None:
    db.execute("UPDATE buildings SET name = %s WHERE building_code = %s", (name, code))
    db.commit()


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections",
        "/ogc/collections/buildings",
        f"/ogc/collections/buildings/items?bbox={CORE_BBOX}&limit=5",
        "/ogc/collections/buildings/items/{building}",
    ],
)
def test_an_answer_is_revalidated_until_its_data_change(client, db, building, path):
    path = path.format(building=building)
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: no W/
    assert first.headers["cache-control"] == "public, no-cache"
    assert {"Authorization", "Cookie"} <= {v.strip() for v in first.headers["vary"].split(",")}

    # unchanged: the same bytes under the same tag, and 304 without a body
    again = client.get(path)
    assert again.headers["etag"] == etag and again.content == first.content
    unchanged = revalidate(client, path, etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["cache-control"] == "public, no-cache"
    # any of several tags, a weak form of it, or * will do
    assert revalidate(client, path, f'"other", W/{etag}').status_code == 304
    assert revalidate(client, path, "*").status_code == 304
    assert revalidate(client, path, '"not-it"').status_code == 200

    rename(db, building, "renamed by test_caching")
    changed = revalidate(client, path, etag)
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert revalidate(client, path, changed.headers["etag"]).status_code == 304


def test_the_page_shows_the_change_its_new_tag_names(client, db, building):
    path = f"/ogc/collections/buildings/items/{building}"
    before = client.get(path)
    rename(db, building, "楼栋 renamed")
    after = client.get(path)
    assert after.json()["properties"]["name"] == "楼栋 renamed"
    assert after.headers["etag"] != before.headers["etag"]


def test_a_change_elsewhere_leaves_a_collections_tag_alone(client, db, building):
    grids = client.get("/ogc/collections/grids/items?limit=3")
    rename(db, building, "renamed, grids unchanged")
    assert (
        revalidate(
            client, "/ogc/collections/grids/items?limit=3", grids.headers["etag"]
        ).status_code
        == 304
    )


def test_the_tag_follows_the_url(client):
    one = client.get("/ogc/collections/buildings/items?limit=2")
    two = client.get("/ogc/collections/buildings/items?limit=3")
    assert one.headers["etag"] != two.headers["etag"]
    assert (
        revalidate(
            client, "/ogc/collections/buildings/items?limit=3", one.headers["etag"]
        ).status_code
        == 200
    )


def test_a_filter_on_a_county_is_versioned_by_that_county(client, db):
    path = "/ogc/collections/water_areas/items?county_code=450105"
    first = client.get(path)
    assert first.status_code == 200
    # a change in another county (one with no rows here) leaves the page alone
    db.execute(
        "INSERT INTO change_counters (county_code, table_name, slot, version)"
        " VALUES ('450103', 'water_areas', 0, 1)"
        " ON CONFLICT (county_code, table_name, slot) DO UPDATE"
        " SET version = change_counters.version + 1"
    )
    db.commit()
    assert revalidate(client, path, first.headers["etag"]).status_code == 304
    assert (
        revalidate(client, "/ogc/collections/water_areas/items", first.headers["etag"]).status_code
        == 200
    )


def test_numbers_matched_follow_inserts_and_deletes(client, db):
    path = "/ogc/collections/water_areas/items"
    first = client.get(path).json()["numberMatched"]
    (water_id,) = db.execute(
        "INSERT INTO water_areas (county_code, name, geom)"
        " SELECT '450105', 'test pond', ST_Multi(ST_Buffer(ST_Point(108.3, 22.8, 4326), 0.001))"
        " RETURNING water_id"
    ).fetchone()
    db.commit()
    try:
        assert client.get(path).json()["numberMatched"] == first + 1
    finally:
        db.execute("DELETE FROM water_areas WHERE water_id = %s", (water_id,))
        db.commit()
    assert client.get(path).json()["numberMatched"] == first


def test_extents_are_computed_once_per_change(client, db, building, monkeypatch):
    computed: list[str] = []
    put = features._extents.put

    def counting_put(key, tag, value):
        computed.append(key)
        put(key, tag, value)

    monkeypatch.setattr(features._extents, "put", counting_put)
    client.get("/ogc/collections")
    computed.clear()
    for _ in range(3):
        assert client.get("/ogc/collections").status_code == 200
        assert client.get("/ogc/collections/buildings").status_code == 200
    assert computed == []
    # moving a building out of the district's box moves the collection's extent
    db.execute(
        "UPDATE buildings SET geom = ST_Translate(geom, 1, 0) WHERE building_code = %s",
        (building,),
    )
    db.commit()
    try:
        listed = client.get("/ogc/collections").json()["collections"]
        east = {c["id"]: c["extent"]["spatial"]["bbox"][0][2] for c in listed}
        assert east["buildings"] > 109 > east["grids"]
        # the building left its grid: the figures of its grid, community and subdistrict
        # changed with it; nothing else was computed again
        assert sorted(computed) == ["buildings", "communities", "grids", "subdistricts"]
    finally:
        db.execute(
            "UPDATE buildings SET geom = ST_Translate(geom, -1, 0) WHERE building_code = %s",
            (building,),
        )
        db.commit()


def test_restricted_and_signed_in_answers_are_private(client, db):
    from gis import tokens

    secret = tokens.create(db, name="caching auditor", role="auditor")
    db.commit()
    signed_in = {"Authorization": f"Bearer {secret}"}
    tracks = client.get("/ogc/collections/patrol_tracks/items?limit=2", headers=signed_in)
    assert tracks.status_code == 200
    assert tracks.headers["cache-control"] == "private, no-cache"
    again = revalidate(
        client, "/ogc/collections/patrol_tracks/items?limit=2", tracks.headers["etag"], **signed_in
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == "private, no-cache"
    # an anonymous client is refused whatever tag it holds
    refused = revalidate(
        client, "/ogc/collections/patrol_tracks/items?limit=2", tracks.headers["etag"]
    )
    assert refused.status_code == 401

    anonymous = client.get("/ogc/collections/events/items?limit=2")
    signed = client.get("/ogc/collections/events/items?limit=2", headers=signed_in)
    assert anonymous.headers["cache-control"] == "public, no-cache"
    assert signed.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in signed.headers["vary"]
    # the list differs by role (restricted collections are listed only to readers)
    public_list = client.get("/ogc/collections")
    auditor_list = client.get("/ogc/collections", headers=signed_in)
    assert public_list.headers["etag"] != auditor_list.headers["etag"]
    assert auditor_list.headers["cache-control"] == "private, no-cache"
    assert revalidate(client, "/ogc/collections", auditor_list.headers["etag"]).status_code == 200


def test_a_missing_feature_is_not_modified_by_nothing(client):
    assert revalidate(client, "/ogc/collections/buildings/items/0", "*").status_code == 404
