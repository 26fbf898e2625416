"""The grid audit on a layout planted by hand (tests/planters/grid_layout.py) — every finding
in its place with its area, nothing more — and on the demo district, which tiles cleanly."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from gis.codes import InvalidCode
from gis.errors import NotFound
from gis.grids import audit
from tests.planters import grid_layout as layout
from tests.planters.grid_layout import C1, C2, A, B, C, D, E, F, H

# Planted areas are exact in the layout's metres (EPSG:4545); the audit measures on the
# spheroid, which differs by far less than this.
RELATIVE = 0.01


@pytest.fixture
def planted(scratch_database: str) -> str:
    with psycopg.connect(scratch_database) as conn:
        layout.plant(conn)
    return scratch_database


def run(url: str, **kwargs: Any) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        return audit.audit_grids(conn, **kwargs)


def close(value: float, expected: float) -> bool:
    return abs(value - expected) <= RELATIVE * expected


def test_gaps_are_the_uncovered_pieces_of_each_community(planted):
    gaps = run(planted)["gaps"]
    assert [g["community_code"] for g in gaps] == [C1, C2]
    # C1: [500, 1000] × [900, 1000] less H's corner [900, 1000] × [950, 1000];
    # C2: [1000, 2000] × [0, 200] less E's square [1000, 1100] × [0, 100].
    assert close(gaps[0]["area_m2"], 50_000 - 5_000)
    assert close(gaps[1]["area_m2"], 200_000 - 10_000)
    assert all(g["geometry"]["type"] == "Polygon" for g in gaps)


def test_overlaps_are_pairs_with_their_shared_area(planted):
    overlaps = run(planted)["overlaps"]
    assert [o["grid_codes"] for o in overlaps] == [[A, B]]
    assert close(overlaps[0]["area_m2"], 20 * 500)


def test_grids_crossing_their_community_with_the_part_outside(planted):
    crossing = {c["grid_code"]: c for c in run(planted)["crossing_grids"]}
    assert set(crossing) == {E, H}
    # E is coded to C1 but lies wholly in C2: its code does not nest on the ground.
    assert close(crossing[E]["area_m2"], 10_000)
    assert crossing[E]["share"] == pytest.approx(1.0, abs=0.001)
    assert crossing[E]["entered_community_codes"] == [C2]
    assert crossing[E]["community_code"] == C1
    assert close(crossing[H]["area_m2"], 100 * 50)
    assert crossing[H]["share"] == pytest.approx(5_000 / 55_000, rel=RELATIVE)
    assert crossing[H]["entered_community_codes"] == [C1]


def test_stray_and_split_buildings(planted):
    report = run(planted)
    stray = report["stray_buildings"]
    assert [s["building_code"] for s in stray] == [f"{C1}00002"]
    assert close(stray[0]["area_m2"], 400)
    split = report["split_buildings"]
    assert [s["building_code"] for s in split] == [f"{C1}00003"]
    assert close(split[0]["area_m2"], 800)
    assert split[0]["counted_in"] == D
    shares = {s["grid_code"]: s for s in split[0]["shares"]}
    assert set(shares) == {C, D}
    assert shares[C]["share"] == pytest.approx(0.25, rel=RELATIVE)
    assert shares[D]["share"] == pytest.approx(0.75, rel=RELATIVE)
    assert close(shares[C]["area_m2"], 200)
    # b4 lies inside the overlap A∩B and b5 partly in the gap: neither is "split".


def test_base_grids_outside_the_standard(planted):
    found = {g["grid_code"]: g for g in run(planted)["out_of_standard_grids"]}
    # B has 250 households but 1,000 people ("about 1,000"): in standard. E is dedicated.
    assert set(found) == {C, D}
    assert (found[C]["households"], found[C]["population"], found[C]["problem"]) == (
        200,
        500,
        "too_few_households",
    )
    assert (found[D]["households"], found[D]["population"], found[D]["problem"]) == (
        560,
        1300,
        "too_many_households",
    )
    assert close(found[C]["area_m2"], 500 * 500)
    assert found[C]["geometry"]["type"] == "Point"


def test_population_band_bounds_are_inclusive(planted):
    with psycopg.connect(planted) as conn:
        conn.execute(
            "UPDATE buildings SET population = 800 WHERE building_code = %s", (f"{C1}00007",)
        )
        conn.commit()
    found = {g["grid_code"] for g in run(planted)["out_of_standard_grids"]}
    assert found == {D}  # C: 200 households but 800 people


def test_grids_without_leader_or_members(planted):
    found = {g["grid_code"]: g["problems"] for g in run(planted)["unstaffed_grids"]}
    assert found == {C: ["no_leader"], F: ["no_members"]}


def test_summary_counts_every_kind_and_nothing_else(planted):
    report = run(planted)
    summary = report["summary"]
    expected = {
        "gaps": 2,
        "overlaps": 1,
        "crossing_grids": 2,
        "stray_buildings": 1,
        "split_buildings": 1,
        "out_of_standard_grids": 2,
        "unstaffed_grids": 2,
        "invalid_geometries": 0,
        "invalid_codes": 0,
    }
    assert {kind: summary[kind] for kind in audit.FINDING_KINDS} == expected
    assert summary["findings"] == sum(expected.values()) and summary["clean"] is False
    assert (summary["communities"], summary["grids"], summary["buildings"]) == (2, 7, 10)
    assert close(summary["gap_area_m2"], 235_000)
    assert close(summary["overlap_area_m2"], 10_000)


def test_one_community_is_audited_with_its_neighbours_in_view(planted):
    report = run(planted, community_code=C2)
    assert report["community_code"] == C2
    assert [g["community_code"] for g in report["gaps"]] == [C2]
    assert report["overlaps"] == []  # A∩B belongs to C1
    assert [c["grid_code"] for c in report["crossing_grids"]] == [H]
    assert report["stray_buildings"] == [] and report["split_buildings"] == []
    assert [g["grid_code"] for g in report["unstaffed_grids"]] == [F]
    assert (report["summary"]["grids"], report["summary"]["communities"]) == (2, 1)


def test_a_community_code_is_normalised(planted):
    assert run(planted, community_code=f" {C2} ")["community_code"] == C2


def test_unknown_and_malformed_community_codes_are_refused(planted):
    with pytest.raises(NotFound, match="450105001009"):
        run(planted, community_code="450105001009")
    with pytest.raises(InvalidCode, match="community"):
        run(planted, community_code=f"{C2}001")


def test_invalid_grid_outline_is_reported_and_the_rest_still_audited(planted):
    bowtie = (
        "ST_Multi(ST_Transform(ST_GeomFromText('POLYGON((530480 2520000, 531000 2520500,"
        " 531000 2520000, 530480 2520500, 530480 2520000))', 4545), 4326))"
    )
    with psycopg.connect(planted) as conn:
        conn.execute(f"UPDATE grids SET geom = {bowtie} WHERE grid_code = %s", (B,))
        conn.commit()
    report = run(planted)
    invalid = report["invalid_geometries"]
    assert [i["grid_code"] for i in invalid] == [B]
    assert "Self-intersection" in invalid[0]["reason"]
    assert invalid[0]["geometry"]["type"] == "Point"
    lon, lat = invalid[0]["geometry"]["coordinates"]
    assert 108.2 < lon < 108.4 and 22.7 < lat < 22.9
    # The repaired bowtie leaves two triangles of B's box uncovered; the audit went on.
    assert len(report["gaps"]) > 2


def test_codes_the_code_system_rejects(planted):
    # A county part of '0000' passes the schema's digit CHECKs but names no county.
    geom = layout.box_sql((3000, 0, 3100, 100))
    with psycopg.connect(planted) as conn:
        conn.execute(f"INSERT INTO districts VALUES ('450000', '广西', {geom})")
        conn.execute(
            f"INSERT INTO subdistricts VALUES ('450000001', '450000', '某街道', 'street', {geom})"
        )
        conn.execute(
            "INSERT INTO communities VALUES ('450000001001', '450000001', '450000', '某社区',"
            f" 'community', {geom})"
        )
        conn.execute(
            "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, geom)"
            f" VALUES ('450000001001001', '450000001001', '450000', '某网格', 'base', {geom})"
        )
        conn.commit()
    found = run(planted)["invalid_codes"]
    assert [f["grid_code"] for f in found] == ["450000001001001"]
    assert "county" in found[0]["problem"]
    assert close(found[0]["area_m2"], 10_000)


def test_a_grid_whose_community_is_missing(planted):
    # Only possible with the foreign keys bypassed, as replication-role loads do.
    geom = layout.box_sql((3000, 0, 3100, 100))
    with psycopg.connect(planted) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, geom)"
            f" VALUES ('450105001003001', '450105001003', '450105', '孤儿网格', 'base', {geom})"
        )
        conn.commit()
    found = run(planted)["invalid_codes"]
    assert [(f["grid_code"], f["community_code"]) for f in found] == [
        ("450105001003001", "450105001003")
    ]
    assert "does not exist" in found[0]["problem"]


def test_the_audit_leaves_nothing_behind(planted):
    with psycopg.connect(planted) as conn:
        audit.audit_grids(conn)
        audit.audit_grids(conn, community_code=C1)  # temporary tables do not collide
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'audit_%'")
        assert left.fetchone() == (0,)


def test_the_demo_district_audits_clean(database_url, demo_district):
    report = run(database_url)
    for kind in (
        "gaps",
        "overlaps",
        "crossing_grids",
        "stray_buildings",
        "split_buildings",
        "out_of_standard_grids",
        "invalid_geometries",
        "invalid_codes",
    ):
        assert report[kind] == [], kind
    summary = report["summary"]
    assert (summary["communities"], summary["grids"]) == (120, 418)
    assert summary["buildings"] == demo_district["buildings"]
    # The generator leaves about 1 % of grids without a leader, on purpose.
    with psycopg.connect(database_url) as conn:
        unstaffed = {
            row[0]
            for row in conn.execute(
                "SELECT rtrim(grid_code) FROM grids WHERE leaders = 0 OR members = 0"
            )
        }
    assert {g["grid_code"] for g in report["unstaffed_grids"]} == unstaffed
    assert summary["clean"] is (not unstaffed)
