"""Service-centre standards (gis/access/standards.py): planted centres with hand-checked
shortfalls, and the demo's non-compliant centres against a direct count."""

from __future__ import annotations

import psycopg
import pytest

from gis.access.standards import BASIC_ROOMS, check_standards, summarise
from gis.errors import InvalidParameter
from tests.planters.coverage import NEAR, plant_building, plant_places
from tests.planters.walking import COUNTY, lonlat

ALL_ROOMS = list(BASIC_ROOMS)


def plant(conn: psycopg.Connection, name: str, level: str, area: float, **extra: object) -> int:
    rooms = extra.pop("rooms", ALL_ROOMS)
    row = conn.execute(
        "INSERT INTO service_centers (county_code, community_code, compound_id, name, level,"
        " area_m2, rooms, geom) VALUES (%s, %s, %s, %s, %s, %s, %s, ST_Point(%s, %s, 4326))"
        " RETURNING center_id",
        (
            COUNTY,
            extra.get("community"),
            extra.get("compound"),
            name,
            level,
            area,
            rooms,
            *lonlat(0, 0),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def plant_compound(conn: psycopg.Connection, households: int) -> int:
    row = conn.execute(
        "INSERT INTO compounds (community_code, county_code, name, compound_type, geom)"
        " SELECT %s, %s, 'c', 'commercial', geom FROM communities WHERE community_code = %s"
        " RETURNING compound_id",
        (NEAR, COUNTY, NEAR),
    ).fetchone()
    assert row is not None
    compound = int(row[0])
    serial = conn.execute("SELECT count(*) + 1 FROM buildings").fetchone()[0]
    code = plant_building(conn, NEAR, serial, 0, 0, households)
    conn.execute("UPDATE buildings SET compound_id = %s WHERE building_code = %s", (compound, code))
    return compound


def test_shortfalls_by_hand(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_places(conn)
        small = plant(
            conn, "small", "compound", 280, compound=plant_compound(conn, 100), community=NEAR
        )
        crowded = plant(
            conn, "crowded", "compound", 310, compound=plant_compound(conn, 1200), community=NEAR
        )
        exact = plant(conn, "exact", "community", 500, community=NEAR)
        roomless = plant(
            conn,
            "roomless",
            "community",
            900,
            community=NEAR,
            rooms=["office", "culture_sport", "social_service", "library"],
        )
        district = plant(conn, "district", "district", 50)
        judged = {c.center_id: c for c in check_standards(conn)}
        assert (judged[small].required_m2, judged[small].shortfall_m2) == (300, 20)
        assert judged[small].households_served == 100
        # 30 m² per 100 households of 1,200 households: 360 m² required
        assert (judged[crowded].required_m2, judged[crowded].shortfall_m2) == (360, 50)
        assert "for 1,200 households" in judged[crowded].reasons[0]
        assert judged[exact].compliant and judged[exact].shortfall_m2 == 0
        assert judged[roomless].missing_rooms == ["activity"]
        assert judged[roomless].shortfall_m2 == 0 and not judged[roomless].compliant
        # no area standard for a district centre: 50 m² is not a shortfall
        assert judged[district].required_m2 is None and judged[district].compliant
        assert judged[district].as_dict()["area_standard"] == "none for this level"
        failing = check_standards(conn, compliant=False)
        assert sorted(c.center_id for c in failing) == sorted([small, crowded, roomless])
        summary = {s.level: s for s in summarise(check_standards(conn))}
        assert summary["compound"].shortfall_m2 == 70 and summary["compound"].non_compliant == 2
        assert summary["community"].lacking_rooms == 1


def test_demo_non_compliant_centres_match_a_direct_count(db, demo_district):
    centres = check_standards(db)
    expected = db.execute(
        """
        SELECT count(*) FILTER (WHERE c.level = 'community'
                                  AND (c.area_m2 < 500 OR NOT c.rooms @> %(rooms)s)),
               count(*) FILTER (WHERE c.level = 'compound' AND (
                   c.area_m2 < greatest(300, 0.3 * (
                       SELECT coalesce(sum(households), 0) FROM buildings AS b
                       WHERE b.compound_id = c.compound_id))
                   OR NOT c.rooms @> %(rooms)s))
        FROM service_centers AS c
        """,
        {"rooms": ALL_ROOMS},
    ).fetchone()
    summary = {s.level: s for s in summarise(centres)}
    assert (summary["community"].non_compliant, summary["compound"].non_compliant) == expected
    assert summary["community"].centres == 120
    assert 0 < summary["compound"].non_compliant < summary["compound"].centres


def test_bad_scope_and_level(db):
    with pytest.raises(InvalidParameter) as caught:
        check_standards(db, level="village")
    assert caught.value.parameter == "level"
    with pytest.raises(InvalidParameter) as caught:
        check_standards(db, scope="4501")
    assert caught.value.parameter == "scope"
