"""Cached tiles on the demo district: a tile's strong ETag follows the data in it (the
change counters), If-None-Match gets 304 without a body, and a restricted collection's
tile is revalidated only by its readers.

Each test changes a real row through PostgreSQL (and puts it back). The process trusts
the versions it read for a second (app/ogc/tiles.py); the tests that change data first
set that window to zero, and one test shows the window itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from app.ogc import caching
from gis import tokens
from tests.app.ogc.test_tiles import tile_url
from tests.gis.ogc.test_tiles import busiest_tile

pytestmark = pytest.mark.usefixtures("demo_district")


@pytest.fixture
def grid(db: psycopg.Connection) -> Iterator[tuple[str, str]]:
    """The busiest z14 tile's URL for grids and a grid in it whose name the test may
    change; the name is put back afterwards."""
    tile = busiest_tile(db, "grids", 14)
    code, name = db.execute(
        "SELECT grid_code, name FROM grids"
        " WHERE ST_Intersects(ST_Transform(ST_PointOnSurface(geom), 3857),"
        " ST_TileEnvelope(%s, %s, %s)) ORDER BY grid_code LIMIT 1",
        (tile.z, tile.x, tile.y),
    ).fetchone()
    yield tile_url("grids", tile), code
    db.rollback()
    db.execute("UPDATE grids SET name = %s WHERE grid_code = %s", (name, code))
    db.commit()


def rename_grid(db: psycopg.Connection, code: str, name: str) -> None:
    db.execute("UPDATE grids SET name = %s WHERE grid_code = %s", (name, code))
    db.commit()


def revalidated_at_once(client) -> None:
    client.app.state.tile_versions = caching.RecentVersions(freshness_s=0)


def test_a_tile_is_revalidated_until_the_data_in_it_change(client, db, grid):
    revalidated_at_once(client)
    url, code = grid
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong
    assert first.headers["cache-control"] == "public, max-age=60"

    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"another"'}).status_code == 200

    rename_grid(db, code, "renamed by test_tile_caching")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert b"renamed by test_tile_caching" in changed.content


def test_the_one_map_tile_changes_with_its_events(client, db, grid):
    revalidated_at_once(client)
    url = grid[0].replace("/collections/grids", "")
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    # an event moves through the loop: the one map shows events, so its tile changes
    event_id = db.execute("SELECT min(event_id) FROM events").fetchone()[0]
    db.execute("UPDATE events SET updated_at = updated_at WHERE event_id = %s", (event_id,))
    db.commit()
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 200


def test_an_empty_tile_has_an_etag_too(client):
    url = "/ogc/collections/grids/tiles/WebMercatorQuad/10/10/500"
    empty = client.get(url)
    assert empty.status_code == 204
    assert client.get(url, headers={"If-None-Match": empty.headers["etag"]}).status_code == 304


def test_within_the_window_a_tile_is_revalidated_from_what_the_process_read(client, db, grid):
    client.app.state.tile_versions = caching.RecentVersions(freshness_s=3600)
    url, code = grid
    first = client.get(url)
    etag = first.headers["etag"]
    rename_grid(db, code, "renamed inside the window")
    # the version read a moment ago is trusted: no query, the old tile is still current,
    # and the tile built then is handed out again rather than built anew
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    # the tag names its URL: on another path, or with a parameter the routes refuse, it is
    # no 304 but what the routes answer
    held = {"If-None-Match": etag}
    assert client.get(url.replace("grids", "nowhere"), headers=held).status_code == 404
    assert client.get(url + "?f=json", headers=held).status_code == 400
    again = client.get(url)
    assert again.headers["etag"] == etag
    assert again.content == first.content
    assert b"renamed inside the window" not in again.content
    client.app.state.tile_versions = caching.RecentVersions(freshness_s=0)
    renewed = client.get(url, headers={"If-None-Match": etag})
    assert renewed.status_code == 200
    assert b"renamed inside the window" in renewed.content


def test_built_tiles_are_kept_within_their_bytes():
    entry = 100 + caching.ENTRY_OVERHEAD
    built = caching.BuiltTiles(max_bytes=16 * entry)
    for n in range(20):
        built.put(f'"{n}"', bytes(100))
    assert built.get('"3"') is None  # the oldest went first
    assert built.get('"19"') == bytes(100)
    assert sum(built.get(f'"{n}"') is not None for n in range(20)) == 16
    built.put('"huge"', bytes(101))  # over a sixteenth of the whole: not kept
    assert built.get('"huge"') is None
    built.put('"empty"', b"")  # an empty tile (204) is kept too, and counts
    assert built.get('"empty"') == b""
    for n in range(100):
        built.put(f'"empty {n}"', b"")
    assert len(built._tiles) <= 16 * entry // caching.ENTRY_OVERHEAD
    # none kept at all when the process keeps none
    nothing = caching.BuiltTiles(max_bytes=0)
    nothing.put('"empty"', b"")
    assert nothing.get('"empty"') is None


def test_a_restricted_tile_is_revalidated_by_its_readers_only(client, db):
    auditor = tokens.create(db, name="tile caching auditor", role="auditor")
    db.commit()
    tile = busiest_tile(db, "patrol_tracks", 15)
    url = tile_url("patrol_tracks", tile)
    answer = client.get(url, headers={"Authorization": f"Bearer {auditor}"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, max-age=60"
    assert "Cookie" in answer.headers["vary"]
    etag = answer.headers["etag"]
    held = {"If-None-Match": etag}
    assert (
        client.get(url, headers={**held, "Authorization": f"Bearer {auditor}"}).status_code == 304
    )
    # holding the tag, or asking for a tile built a moment ago, is no credential
    assert client.get(url, headers=held).status_code == 401
    assert client.get(url).status_code == 401
