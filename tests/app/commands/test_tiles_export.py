"""`onemap tiles export`: a PMTiles archive of the one map over a place of the demo
district, read back with the pmtiles reader: its header's bounds and zooms, its metadata,
and tiles that decode to the layers the API serves."""

from __future__ import annotations

import gzip
import json
import math

import mapbox_vector_tile
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from gis.ogc import tiles
from tests.planters import cli


def run(url: str, *args: str):
    return cli.onemap("tiles", "export", *args, env={"ONEMAP_DATABASE_URL": url})


def _tiles_meeting(db, community: str, z: int) -> set[tuple[int, int, int]]:
    """The tiles of zoom ``z`` whose square meets the community's outline: the candidates
    of its bounding box (computed here), each asked of PostGIS."""
    west, south, east, north = db.execute(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
        " FROM (SELECT geom::box2d AS b FROM communities WHERE community_code = %s) AS c",
        (community,),
    ).fetchone()
    size = 2 * tiles.HALF_WORLD_M / 2**z
    columns = range(
        int((_x(west) + tiles.HALF_WORLD_M) // size),
        int((_x(east) + tiles.HALF_WORLD_M) // size) + 1,
    )
    rows = range(
        int((tiles.HALF_WORLD_M - _y(north)) // size),
        int((tiles.HALF_WORLD_M - _y(south)) // size) + 1,
    )
    return {
        (z, x, y)
        for x in columns
        for y in rows
        if db.execute(
            "SELECT ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(%s, %s, %s))"
            " FROM communities WHERE community_code = %s",
            (z, x, y, community),
        ).fetchone()[0]
    }


def _x(longitude: float) -> float:
    return math.radians(longitude) * tiles.HALF_WORLD_M / math.pi


def _y(latitude: float) -> float:
    return (
        math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2)) * tiles.HALF_WORLD_M / math.pi
    )


def test_a_community_archive_holds_its_tiles_and_bounds(database_url, demo_district, db, tmp_path):
    # the smallest community: a short export
    community, west, south, east, north = db.execute(
        """SELECT rtrim(community_code), ST_XMin(geom::box2d), ST_YMin(geom::box2d),
                  ST_XMax(geom::box2d), ST_YMax(geom::box2d)
           FROM communities ORDER BY ST_Area(geom), community_code LIMIT 1"""
    ).fetchone()
    archive = tmp_path / "community.pmtiles"
    done = run(
        database_url,
        *("--scope", community, "--out", str(archive), "--minzoom", "12", "--maxzoom", "15"),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    with archive.open("rb") as opened:
        source = MmapSource(opened)
        reader = Reader(source)
        header = reader.header()
        metadata = reader.metadata()
        stored = dict(all_tiles(source))
    assert header["tile_type"] == TileType.MVT
    assert header["tile_compression"] == Compression.GZIP
    assert (header["min_zoom"], header["max_zoom"]) == (12, 15)
    corners = [header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")]
    assert corners == pytest.approx([west, south, east, north], abs=1e-6)
    assert [layer["id"] for layer in metadata["vector_layers"]] == [*tiles.MAP_LAYERS, "buildings"]
    assert len(stored) == summary["tiles"] > 0
    # every tile touches the community: it is drawn in each; buildings from zoom 15
    with_buildings = set()
    for (z, x, y), body in stored.items():
        layers = mapbox_vector_tile.decode(gzip.decompress(body))
        codes = {f["properties"]["community_code"] for f in layers["communities"]["features"]}
        assert community in codes, (z, x, y)
        if "buildings" in layers:
            with_buildings.add(z)
    assert with_buildings == {15}
    for z in (12, 15):
        assert {key for key in stored if key[0] == z} == _tiles_meeting(db, community, z)


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--scope", "45010500100100401"], 2, "building code"),
        (["--scope", "12x"], 2, "digits"),
        (["--scope", "450105", "--minzoom", "9", "--maxzoom", "8"], 2, "minzoom"),
        (["--scope", "450105", "--maxzoom", "23"], 2, "maxzoom"),
        (["--scope", "450199"], 1, "no place 450199"),
    ],
)
def test_a_bad_scope_or_zoom_writes_nothing(
    database_url, demo_district, tmp_path, args, code, says
):
    archive = tmp_path / "refused.pmtiles"
    done = run(database_url, *args, "--out", str(archive))
    assert done.returncode == code, done.stderr
    assert says in " ".join(done.stderr.split())
    assert not list(tmp_path.iterdir())
