"""Coverage (gis/access/coverage.py): households reached by the service areas, per
community and subdistrict, on a planted block with hand-checked answers; the uncovered
layer and the areas layer; caveats for stale, missing and straight-line areas."""

from __future__ import annotations

import psycopg
import pytest

from gis.access import area_layer, compute_service_areas, uncovered_layer
from gis.access import coverage_report as coverage
from gis.errors import InvalidParameter
from tests.planters.coverage import FAR, NEAR, SUBDISTRICT, plant_building, plant_places
from tests.planters.walking import SQUARE, plant_centre, plant_network


def test_households_covered_per_community_by_hand(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_places(conn)
        plant_network(conn, SQUARE)
        plant_centre(conn, 0, 0)
        # 30 m off the south side 100 m from the centre: 5 minutes (416.7 m) reaches it
        plant_building(conn, NEAR, 1, 100, -30, 40)
        # beside the far corner (800 m by street): 10 minutes, not 5
        plant_building(conn, NEAR, 2, 430, 400, 20)
        # the middle of the block, 200 m from every side: never, the band is 50 m
        plant_building(conn, NEAR, 3, 200, 200, 60)
        # 2 km east, in the other community, no street: never
        plant_building(conn, FAR, 1, 2000, 0, 100)
        compute_service_areas(conn)
        five = coverage(conn, minutes=5, group_by="community")
        rows = {row.code: row for row in five.groups}
        assert (rows[NEAR].households, rows[NEAR].covered_households) == (120, 40)
        assert (rows[NEAR].buildings, rows[NEAR].covered_buildings) == (3, 1)
        assert rows[NEAR].population == 360 and rows[NEAR].covered_population == 120
        assert rows[NEAR].households_pct == pytest.approx(33.3)
        assert (rows[FAR].households, rows[FAR].covered_households) == (100, 0)
        assert five.total.households == 220 and five.total.covered_households == 40
        ten = coverage(conn, minutes=10, group_by="subdistrict")
        assert [(r.code, r.covered_households, r.households) for r in ten.groups] == [
            (SUBDISTRICT, 60, 220)
        ]
        assert ten.groups[0].name == "S"
        scoped = coverage(conn, minutes=15, scope=FAR)
        assert [r.code for r in scoped.groups] == [FAR]

        uncovered = uncovered_layer(conn, minutes=10)
        codes = [f["properties"]["building_code"] for f in uncovered["features"]]
        assert codes == [FAR + "00001", NEAR + "00003"]  # most households first
        assert uncovered["numberMatched"] == 2 and uncovered["uncovered_households"] == 160
        nearest = uncovered["features"][0]["properties"]["nearest_center_m"]
        assert nearest == pytest.approx(2000, abs=1)

        layer = area_layer(conn, minutes=10)
        (feature,) = layer["features"]
        assert feature["properties"]["households"] == 60
        assert feature["properties"]["method"] == "network"
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert layer["caveats"]["notes"] == []


def test_caveats_name_stale_missing_and_straight_line_areas(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_places(conn)
        plant_building(conn, NEAR, 1, 100, -30, 40)
        first = plant_centre(conn, 0, 0)
        plant_centre(conn, 100, 0)
        compute_service_areas(conn, center_ids=[first])
        report = coverage(conn, minutes=15)
        assert (report.caveats.straight_line_centres, report.caveats.queued_centres) == (1, 1)
        assert report.caveats.centres_without_area == 1
        notes = " ".join(report.caveats.notes)
        assert "straight-line" in notes and "stale" in notes and "no area" in notes
        assert report.as_dict()["method"] == "mixed"
        # the circle of 1,250 m holds the building 104 m away
        assert report.total.covered_households == 40


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"minutes": 7}, "minutes"),
        ({"group_by": "grid"}, "group_by"),
        ({"scope": "4501"}, "scope"),
        ({"scope": "450105001001001"}, "scope"),
        ({"levels": ["village"]}, "level"),
    ],
)
def test_bad_parameters_are_named(db, kwargs, parameter):
    with pytest.raises(InvalidParameter) as caught:
        coverage(db, **kwargs)
    assert caught.value.parameter == parameter


def test_demo_coverage_agrees_with_a_direct_count(db, demo_district):
    """The demo's coverage against an independent count: buildings whose own point on
    surface lies in any 5-minute area; a longer walk reaches more, and even 15 minutes
    leaves the towns' outlying villages out."""
    report = coverage(db, minutes=5, group_by="subdistrict")
    row = db.execute(
        """
        SELECT sum(households), sum(households) FILTER (WHERE EXISTS (
                   SELECT 1 FROM service_areas AS a
                   WHERE a.minutes = 5 AND ST_Intersects(a.geom, ST_PointOnSurface(b.geom))))
        FROM buildings AS b
        """
    ).fetchone()
    assert row is not None
    assert report.total.households == row[0]
    assert report.total.covered_households == row[1]
    assert len(report.groups) == 11
    assert 0 < report.total.covered_households < report.total.households
    ten, fifteen = coverage(db, minutes=10), coverage(db, minutes=15)
    assert report.total.covered_households < ten.total.covered_households
    assert ten.total.covered_households < fifteen.total.covered_households
    assert fifteen.total.covered_households < fifteen.total.households
