"""Places and buildings for the coverage, standards and siting tests: one subdistrict of
two communities, NEAR around the square block of tests/planters/walking.py and FAR to its
east, and 10 m square residential buildings set down in local metres."""

from __future__ import annotations

import psycopg

from tests.planters.walking import COUNTY, lonlat, plant_county

SUBDISTRICT = COUNTY + "001"
NEAR, FAR = SUBDISTRICT + "001", SUBDISTRICT + "002"


def plant_places(conn: psycopg.Connection) -> None:
    """A subdistrict of two communities: NEAR around the square block, FAR to its east."""
    plant_county(conn)
    box = "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
    west, south = lonlat(-100, -100)
    east, north = lonlat(3000, 500)
    middle, _ = lonlat(1000, 0)
    conn.execute(
        "INSERT INTO subdistricts VALUES (%s, %s, 'S', 'street', " + box + ")",
        (SUBDISTRICT, COUNTY, west, south, east, north),
    )
    for code, (w, e) in ((NEAR, (west, middle)), (FAR, (middle, east))):
        conn.execute(
            "INSERT INTO communities VALUES (%s, %s, %s, %s, 'community', " + box + ")",
            (code, SUBDISTRICT, COUNTY, code[-3:], w, south, e, north),
        )


def plant_building(
    conn: psycopg.Connection, community: str, serial: int, x: float, y: float, households: int
) -> str:
    """A 10 m square building centred on (x, y) local metres."""
    code = f"{community}{serial:05d}"
    west, south = lonlat(x - 5, y - 5)
    east, north = lonlat(x + 5, y + 5)
    conn.execute(
        "INSERT INTO buildings (building_code, community_code, county_code, building_use,"
        " floors, households, population, geom) VALUES (%s, %s, %s, 'residential', 6, %s, %s,"
        " ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))",
        (code, community, COUNTY, households, households * 3, west, south, east, north),
    )
    return code
