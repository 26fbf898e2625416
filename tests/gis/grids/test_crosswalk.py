"""The crosswalk from an old system's grids (多网合一) on a layout planted by hand
(tests/planters/grid_planting.py): shares known exactly, splits and outside parts flagged,
bad layers refused, nothing left behind in the database."""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import psycopg
import pytest
import shapely

from gis.errors import InvalidParameter
from gis.grids.crosswalk import (
    SYSTEMS,
    Crosswalk,
    LegacyLayerError,
    crosswalk,
    system_name,
)
from tests.planters import grid_planting as planting
from tests.planters.grid_planting import C1, C2, G1, G2, G3

# The layout's areas are exact in EPSG:4545 metres; the crosswalk measures on the
# spheroid, which differs by far less than this.
RELATIVE = 0.01


@pytest.fixture(scope="module")
def layout_url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planting.database_from(admin_url, migrated_template, "crosswalk") as url:
        with psycopg.connect(url) as conn:
            planting.plant_crosswalk_layout(conn)
        yield url


@pytest.fixture(scope="module")
def report(layout_url: str) -> Crosswalk:
    with psycopg.connect(layout_url) as conn:
        return crosswalk(conn, planting.legacy_layer(), system="城管")


def close(value: float, expected: float) -> bool:
    return abs(value - expected) <= RELATIVE * abs(expected)


def legacy(report: Crosswalk, legacy_id: str):
    (found,) = [g for g in report.legacy if g.legacy_id == legacy_id]
    return found


def shares(parts) -> dict[str, tuple[float, float]]:
    return {p.code: (p.share_of_legacy, p.share_of_other) for p in parts}


def assert_shares(actual: dict[str, tuple[float, float]], expected: dict) -> None:
    assert set(actual) == set(expected), actual
    for code, (of_legacy, of_other) in expected.items():
        assert close(actual[code][0], of_legacy), (code, actual[code])
        assert close(actual[code][1], of_other), (code, actual[code])


def test_a_legacy_grid_inside_one_unified_grid(report):
    l1 = legacy(report, "L1")
    assert close(l1.area_m2, 250_000)
    assert_shares(shares(l1.grids), {G1: (1.0, 0.5)})
    assert_shares(shares(l1.communities), {C1: (1.0, 0.25)})
    assert not l1.split_across_communities and not l1.partly_outside


def test_a_legacy_grid_over_two_unified_grids_of_one_community(report):
    l2 = legacy(report, "L2")
    assert_shares(shares(l2.grids), {G1: (0.5, 0.25), G2: (0.5, 0.25)})
    assert [c.code for c in l2.communities] == [C1]
    assert not l2.split_across_communities


def test_a_legacy_grid_across_the_community_line_is_flagged(report):
    l3 = legacy(report, "L3")
    assert_shares(shares(l3.grids), {G2: (0.5, 0.2), G3: (0.5, 0.1)})
    assert_shares(shares(l3.communities), {C1: (0.5, 0.1), C2: (0.5, 0.1)})
    assert l3.split_across_communities


def test_a_sliver_in_a_second_community_is_not_a_split(report):
    l5 = legacy(report, "L5")
    in_c1 = next(p for p in l5.communities if p.code == C1)
    assert close(in_c1.overlap_m2, 500) and in_c1.sliver
    assert not next(p for p in l5.communities if p.code == C2).sliver
    assert not l5.split_across_communities


def test_parts_outside_every_unified_grid(report):
    l4 = legacy(report, "L4")
    assert close(l4.outside_m2, 15_000) and close(l4.outside_share, 0.5)
    assert l4.partly_outside
    l6 = legacy(report, "L6")
    assert l6.grids == () and l6.communities == ()
    assert close(l6.outside_share, 1.0) and l6.partly_outside
    assert report.summary()["entirely_outside"] == 1
    assert report.summary()["partly_outside"] == 2


def test_each_unified_grid_lists_the_legacy_grids_in_it(report):
    unified = {u.grid_code: u for u in report.unified}
    assert set(unified) == {G1, G2, G3}
    assert_shares(shares(unified[G1].legacy), {"L1": (1.0, 0.5), "L2": (0.5, 0.25)})
    assert close(unified[G1].legacy_share, 0.75)
    assert_shares(
        shares(unified[G3].legacy),
        {"L3": (0.5, 0.1), "L4": (0.5, 0.015), "L5": (50_000 / 50_500, 0.05)},
    )
    # seen from G2, L5's 500 m² is a sliver of the grid's 500,000 m²
    l5_in_g2 = next(p for p in unified[G2].legacy if p.code == "L5")
    assert l5_in_g2.sliver


def test_the_report_as_json_and_csv(report):
    data = report.as_dict()
    assert data["system"] == "城管" and data["system_en"] == "urban_management"
    assert data["id_field"] == "编码"
    l3 = next(g for g in data["legacy_grids"] if g["legacy_id"] == "L3")
    assert {p["grid_code"] for p in l3["grids"]} == {G2, G3}
    assert l3["split_across_communities"] is True
    rows = report.csv_rows()
    outside = [r for r in rows if r["legacy_id"] == "L6"]
    assert len(outside) == 1 and outside[0]["grid_code"] == ""
    assert {r["grid_code"] for r in rows if r["legacy_id"] == "L2"} == {G1, G2}


def test_nothing_is_left_in_the_database(layout_url):
    with psycopg.connect(layout_url) as conn:
        crosswalk(conn, planting.legacy_layer(), system="综治")
        # a second run on the same connection does not trip over the first
        again = crosswalk(conn, planting.legacy_layer(), system="综治")
        assert len(again.legacy) == 6
        left = conn.execute(
            "SELECT to_regclass('pg_temp.crosswalk_legacy'),"
            " to_regclass('pg_temp.crosswalk_legacy_raw')"
        ).fetchone()
        assert left == (None, None)
        assert conn.execute("SELECT count(*) FROM grids").fetchone() == (3,)


def test_invalid_polygons_are_repaired_and_reported(layout_url):
    layer = planting.legacy_layer()
    # a bow-tie over L1's ground: self-intersecting, valid once split at the crossing
    a, b, c, d = (shapely.get_coordinates(layer.geometry.iloc[0].envelope)[i] for i in range(4))
    layer.loc["features[0]", "geometry"] = shapely.Polygon([a, c, b, d])
    with psycopg.connect(layout_url) as conn:
        result = crosswalk(conn, layer, system="防疫")
    l1 = legacy(result, "L1")
    assert l1.repaired and l1.area_m2 > 0
    assert result.summary()["repaired_geometries"] == 1


@pytest.mark.parametrize(
    ("spelled", "chinese"),
    [("城管", "城管"), ("urban_management", "城管"), ("Emergency Management", "应急管理")]
    + [(english, chinese) for chinese, english in SYSTEMS.items()],
)
def test_systems_by_chinese_or_english_name(spelled, chinese):
    assert system_name(spelled) == chinese


def test_an_unknown_system_is_refused(layout_url):
    with pytest.raises(InvalidParameter, match="交通") as refused:
        system_name("交通")
    assert "城管" in str(refused.value)


def refused(layout_url: str, layer: gpd.GeoDataFrame, **kwargs) -> LegacyLayerError:
    with psycopg.connect(layout_url) as conn, pytest.raises(LegacyLayerError) as error:
        crosswalk(conn, layer, system="城管", **kwargs)
    return error.value


def test_a_layer_without_an_id_column_is_refused(layout_url):
    layer = planting.legacy_layer().rename(columns={"编码": "备注"})
    error = refused(layout_url, layer)
    assert "no id column" in str(error) and "备注" in str(error)
    error = refused(layout_url, planting.legacy_layer(), id_field="网格号")
    assert "网格号" in str(error)


def test_another_id_column_can_be_named(layout_url):
    layer = planting.legacy_layer(grid_no=[f"N{i}" for i in range(6)])
    with psycopg.connect(layout_url) as conn:
        result = crosswalk(conn, layer, system="民政", id_field="grid_no")
    assert [g.legacy_id for g in result.legacy] == [f"N{i}" for i in range(6)]


def test_duplicate_and_empty_ids_are_refused_naming_the_records(layout_url):
    layer = planting.legacy_layer()
    layer.loc["features[3]", "编码"] = "L1"
    layer.loc["features[4]", "编码"] = None
    error = refused(layout_url, layer)
    assert any("features[3]" in p and "features[0]" in p for p in error.problems)
    assert any("features[4]" in p and "empty" in p for p in error.problems)


def test_non_polygon_geometries_are_refused(layout_url):
    layer = planting.legacy_layer()
    layer.loc["features[2]", "geometry"] = layer.geometry.iloc[2].centroid
    error = refused(layout_url, layer)
    assert error.problems == ["features[2] (L3): a Point, not a polygon; grids are areas"]


def test_an_empty_layer_is_refused(layout_url):
    error = refused(layout_url, planting.legacy_layer().iloc[0:0])
    assert "no grids" in str(error)


def test_a_layer_not_in_lon_lat_is_refused(layout_url):
    error = refused(layout_url, planting.legacy_layer().to_crs(4545))
    assert "EPSG:4545" in str(error)
