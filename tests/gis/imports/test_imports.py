"""Validated, all-or-nothing imports (gis.imports) on a fresh database per test."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import pyproj
import pytest
import shapely

from gis import crs
from gis.errors import InvalidParameter
from gis.imports.problems import ImportRejected
from tests.planters.import_places import (
    BORDER_LON,
    EAST,
    WEST,
    box,
    counts,
    feature,
    grid_features,
    run_import,
    run_package,
    seed,
    write_geojson,
)

# metres per degree of longitude at 22.8° N
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(22.82))


def scalar(url: str, query: str, *params: object) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def rejected(url: str, layer: str, path: Path, **options: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run_import(url, layer, path, **options)
    return caught.value


def problems_by_record(error: ImportRejected) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        found.setdefault(problem.record, []).append(problem.problem)
    return found


# --- formats ---------------------------------------------------------------------------


def test_geojson_grids_round_trip(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    report = run_import(scratch_database, "grids", path)
    assert report["written"] and report["inserted"] == 2 and report["updated"] == 0
    with psycopg.connect(scratch_database) as conn:
        rows = conn.execute(
            "SELECT grid_code, community_code, name, grid_type, members, leaders,"
            " ST_AsText(geom) FROM grids ORDER BY grid_code"
        ).fetchall()
    # the legacy 14-digit code is widened; members given by name are counted
    assert [r[:6] for r in rows] == [
        ("450105001001001", WEST, "一网格", "base", 3, 1),
        ("450105001001002", WEST, "二网格", "base", 4, 1),
    ]
    assert shapely.from_wkt(rows[0][6]).equals(
        shapely.MultiPolygon([box(108.300, 22.800, 108.310, 22.810)])
    )


def test_bare_array_of_features_as_datav_exports(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(
        tmp_path / "communities.json",
        [
            feature(
                {"adcode": 450105001001, "name": "西社区居委会"}, box(108.30, 22.80, 108.32, 22.84)
            ),
            feature(
                {"adcode": 450105001003, "name": "新村村委会"}, box(108.30, 22.80, 108.31, 22.81)
            ),
        ],
        bare=True,
    )
    report = run_import(scratch_database, "communities", path)
    assert (report["inserted"], report["updated"]) == (1, 1)
    with psycopg.connect(scratch_database) as conn:
        kinds = dict(conn.execute("SELECT community_code, kind FROM communities").fetchall())
    assert kinds == {WEST: "community", EAST: "village", "450105001003": "village"}


def test_geopackage_with_a_declared_metric_crs_and_a_chosen_layer(scratch_database, tmp_path):
    seed(scratch_database)
    grids = gpd.GeoDataFrame(
        {"grid_code": ["450105001002001"], "name": ["东一网格"], "members": [8]},
        geometry=[box(108.325, 22.805, 108.330, 22.810)],
        crs="EPSG:4326",
    )
    path = tmp_path / "places.gpkg"
    grids.to_crs("EPSG:4545").to_file(path, layer="grids_4545", driver="GPKG")
    grids.to_file(path, layer="other", driver="GPKG")
    with pytest.raises(InvalidParameter, match="grids_4545, other"):
        run_import(scratch_database, "grids", path)
    report = run_import(scratch_database, "grids", path, layer_name="grids_4545")
    assert report["source_crs"] == "EPSG:4545" and report["inserted"] == 1
    off_m = scalar(
        scratch_database,
        "SELECT ST_HausdorffDistance(ST_Transform(geom, 4545),"
        " ST_Transform(ST_GeomFromText(%s, 4326), 4545)) FROM grids",
        box(108.325, 22.805, 108.330, 22.810).wkt,
    )
    assert off_m < 0.01


def test_zipped_shapefile_of_buildings_gets_codes(scratch_database, tmp_path):
    seed(scratch_database)
    footprints = [
        box(108.301, 22.801, 108.3012, 22.8012),  # west community
        box(108.302, 22.801, 108.3022, 22.8012),  # west
        box(108.331, 22.801, 108.3312, 22.8012),  # east
    ]
    frame = gpd.GeoDataFrame(
        {"名称": ["1栋", "2栋", "3栋"], "层数": [6, 18, 3], "户数": [24, 140, 6]},
        geometry=footprints,
        crs="EPSG:4326",
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "楼栋.shp", encoding="UTF-8")
    archive = tmp_path / "buildings.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    report = run_import(scratch_database, "buildings", archive)
    assert report["format"] == "Shapefile" and report["inserted"] == 3
    assert [c["code"] for c in report["codes_assigned"]] == [
        WEST + "00001",
        WEST + "00002",
        EAST + "00001",
    ]
    with psycopg.connect(scratch_database) as conn:
        rows = conn.execute(
            "SELECT building_code, name, floors, households, building_use FROM buildings"
            " ORDER BY building_code"
        ).fetchall()
    assert rows[1] == (WEST + "00002", "2栋", 18, 140, "residential")
    # the same footprints again update the same buildings: no copies, no new codes
    again = run_import(scratch_database, "buildings", archive)
    assert (again["inserted"], again["updated"], again["codes_assigned"]) == (0, 3, [])
    assert counts(scratch_database)["buildings"] == 3


def test_csv_of_service_centres_in_gb18030(scratch_database, tmp_path):
    seed(scratch_database)
    path = tmp_path / "centres.csv"
    with path.open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["名称", "级别", "面积（平方米）", "功能室", "经度", "纬度"])
        writer.writerow(
            ["西社区党群服务中心", "社区", "620", "办公议事、党群活动", "108.305", "22.82"]
        )
        writer.writerow(["江南街道党群服务中心", "街道", "1500", "", "108.33", "22.83"])
    report = run_import(scratch_database, "service_centers", path)
    assert report["inserted"] == 2
    with psycopg.connect(scratch_database) as conn:
        rows = conn.execute(
            "SELECT name, level, county_code, subdistrict_code, community_code, area_m2, rooms"
            " FROM service_centers ORDER BY name"
        ).fetchall()
    assert rows[0][1:5] == ("subdistrict", "450105", "450105001", None)
    assert rows[1][1:5] == ("community", "450105", "450105001", WEST)
    assert rows[1][5] == 620 and rows[1][6] == ["办公议事", "党群活动"]


# --- coordinates -----------------------------------------------------------------------


def test_a_gcj02_outline_lands_on_its_wgs84_twin(scratch_database, tmp_path):
    twin = shapely.Polygon(
        [(108.22, 22.70), (108.35, 22.68), (108.42, 22.80), (108.30, 22.88), (108.22, 22.70)]
    )
    gcj = crs.from_storage_to_gcj02(np.array([twin]))[0]
    path = write_geojson(
        tmp_path / "jiangnan.json", [feature({"adcode": 450105, "name": "江南区"}, gcj)], bare=True
    )
    run_import(scratch_database, "districts", path, crs="gcj02")
    with psycopg.connect(scratch_database) as conn:
        landed_m, raw_m = conn.execute(
            "SELECT max(ST_Distance(p.geom::geography,"
            "                       ST_Boundary(ST_GeomFromText(%s, 4326))::geography)),"
            " ST_Distance(ST_Centroid(ST_GeomFromText(%s, 4326))::geography,"
            "             ST_Centroid(ST_GeomFromText(%s, 4326))::geography)"
            " FROM districts d, ST_DumpPoints(d.geom) p",
            (twin.wkt, gcj.wkt, twin.wkt),
        ).fetchone()
    assert landed_m < 5.0
    assert raw_m > 300  # the file itself is ~500 m off: the conversion did the work


def test_projected_coordinates_without_a_crs_are_refused(scratch_database, tmp_path):
    seed(scratch_database)
    forward = pyproj.Transformer.from_crs(4326, 4545, always_xy=True)
    ring = [
        forward.transform(x, y) for x, y in box(108.301, 22.801, 108.309, 22.809).exterior.coords
    ]
    path = write_geojson(
        tmp_path / "metric.geojson",
        [feature({"grid_code": "450105001001003", "name": "三网格"}, shapely.Polygon(ring))],
    )
    error = rejected(scratch_database, "grids", path)
    assert "not longitude/latitude" in str(error) and "--crs" in str(error)
    assert run_import(scratch_database, "grids", path, crs="EPSG:4545")["inserted"] == 1


# --- refusals --------------------------------------------------------------------------


def test_every_bad_record_is_named_and_nothing_is_written(scratch_database, tmp_path):
    seed(scratch_database)
    good = box(108.300, 22.800, 108.305, 22.805)
    bowtie = shapely.Polygon([(108.30, 22.80), (108.31, 22.81), (108.31, 22.80), (108.30, 22.81)])
    features = [
        feature({"grid_code": "450105001001001", "name": "好网格"}, good),  # 0: fine
        feature({"grid_code": "450105001001002", "name": "蝴蝶"}, bowtie),  # 1: invalid
        feature(
            {"grid_code": "450105001001003", "name": "线"},
            shapely.LineString([(108.30, 22.80), (108.31, 22.81)]),
        ),  # 2: wrong type
        feature(
            {"grid_code": "450105001001004", "name": "空"}, {"type": "Polygon", "coordinates": []}
        ),  # 3
        feature({"grid_code": "45010500100A005", "name": "坏码"}, good),  # 4: bad code
        feature({"grid_code": "450105001001001", "name": "重复"}, good),  # 5: duplicate of 0
        feature(
            {"grid_code": "450105001001006", "community_code": EAST, "name": "错社区"}, good
        ),  # 6: community code does not nest
        feature(
            {"grid_code": "450105001001007", "name": "越界"}, box(108.315, 22.80, 108.33, 22.81)
        ),  # 7
        feature({"grid_code": "450105001001008"}, good),  # 8: no name
        feature({"grid_code": "450105001099001", "name": "无主"}, good),  # 9: unknown community
        feature({"grid_code": "450105001001009", "name": "无形"}, None),  # 10: no geometry
    ]
    path = write_geojson(tmp_path / "bad.geojson", features)
    before = counts(scratch_database)
    error = rejected(scratch_database, "grids", path)
    found = problems_by_record(error)
    assert counts(scratch_database) == before
    expected = {
        "features[1]": "Self-intersection",
        "features[2]": "a grid needs POLYGON or MULTIPOLYGON, found LINESTRING",
        "features[3]": "empty geometry",
        "features[4]": "digits only",
        "features[5]": "more than once",
        "features[6]": "does not start with its community's code 450105001002",
        "features[7]": "does not lie within its community 450105001001",
        "features[8]": "missing (required)",
        "features[9]": "unknown parent: community 450105001099",
        "features[10]": "no geometry",
    }
    for record, reason in expected.items():
        assert any(reason in text for text in found.get(record, [])), (record, found.get(record))
    assert found["features[0]"] == [found["features[0]"][0]]  # only the duplicate note
    assert "features[5]" in found["features[0]"][0]
    assert error.report["written"] is False
    assert len(error.report["problems"]) == len(error.problems)


def test_nesting_tolerance(scratch_database, tmp_path):
    seed(scratch_database)

    def grid_reaching(metres: float, serial: int) -> dict:
        east_edge = BORDER_LON + metres / M_PER_DEG_LON
        return feature(
            {"grid_code": f"450105001001{serial:03d}", "name": f"{metres} m"},
            box(BORDER_LON - 0.002, 22.810, east_edge, 22.812),
        )

    ok = write_geojson(tmp_path / "ok.geojson", [grid_reaching(0.3, 1)])
    assert run_import(scratch_database, "grids", ok)["inserted"] == 1
    far = write_geojson(tmp_path / "far.geojson", [grid_reaching(5.0, 2)])
    error = rejected(scratch_database, "grids", far)
    assert "m² outside" in error.problems[0].problem


def test_repair_fixes_and_reports(scratch_database, tmp_path):
    seed(scratch_database)
    bowtie = shapely.Polygon(
        [(108.300, 22.800), (108.310, 22.810), (108.310, 22.800), (108.300, 22.810)]
    )
    path = write_geojson(
        tmp_path / "bowtie.geojson",
        [feature({"grid_code": "450105001001001", "name": "蝴蝶"}, bowtie)],
    )
    report = run_import(scratch_database, "grids", path, repair=True)
    assert report["repairs"] == [
        {
            "record": "features[0]",
            "key": "450105001001001",
            "reason": report["repairs"][0]["reason"],
        }
    ]
    assert report["repairs"][0]["reason"].startswith("Self-intersection")
    with psycopg.connect(scratch_database) as conn:
        shape = conn.execute(
            "SELECT ST_IsValid(geom), GeometryType(geom), ST_NumGeometries(geom) FROM grids"
        ).fetchone()
    assert shape == (True, "MULTIPOLYGON", 2)  # the bowtie's two triangles


def test_dry_run_writes_nothing(scratch_database, tmp_path):
    seed(scratch_database)
    path = write_geojson(tmp_path / "grids.geojson", grid_features())
    before = counts(scratch_database)
    report = run_import(scratch_database, "grids", path, dry_run=True)
    assert report["dry_run"] and not report["written"] and report["inserted"] == 2
    assert counts(scratch_database) == before


def test_reimport_updates_and_keeps_what_the_file_leaves_out(scratch_database, tmp_path):
    seed(scratch_database)
    run_import(scratch_database, "grids", write_geojson(tmp_path / "a.geojson", grid_features()))
    renamed = [
        feature(
            {"grid_code": "450105001001001", "name": "一网格（新）"},
            box(108.300, 22.800, 108.311, 22.810),
        )
    ]
    report = run_import(scratch_database, "grids", write_geojson(tmp_path / "b.geojson", renamed))
    assert (report["inserted"], report["updated"]) == (0, 1)
    with psycopg.connect(scratch_database) as conn:
        name, members = conn.execute(
            "SELECT name, members FROM grids WHERE grid_code = '450105001001001'"
        ).fetchone()
    assert (name, members) == ("一网格（新）", 3)
    assert counts(scratch_database)["grids"] == 2


def test_redrawing_a_community_warns_about_grids_left_outside(scratch_database, tmp_path):
    seed(scratch_database)
    run_import(scratch_database, "grids", write_geojson(tmp_path / "g.geojson", grid_features()))
    shrunk = [
        feature({"community_code": WEST, "name": "西社区"}, box(108.30, 22.80, 108.315, 22.84))
    ]
    report = run_import(
        scratch_database, "communities", write_geojson(tmp_path / "c.geojson", shrunk)
    )
    assert report["updated"] == 1
    assert any("450105001001002" in w and "grids" in w for w in report["warnings"])


def test_unknown_format_and_layer_are_parameter_errors(scratch_database, tmp_path):
    path = tmp_path / "grids.kml"
    path.write_text("<kml/>")
    with pytest.raises(InvalidParameter, match="unknown format"):
        run_import(scratch_database, "grids", path)
    with pytest.raises(InvalidParameter, match="layers are"):
        run_import(scratch_database, "roads", path)


# --- compounds, centres and the column table ---------------------------------------------


def test_compounds_match_by_outline_though_names_repeat(scratch_database, tmp_path):
    seed(scratch_database)
    compounds = [
        feature(
            {"小区名称": "铁路宿舍", "小区类型": "单位住宅"}, box(108.301, 22.801, 108.303, 22.803)
        ),
        feature(
            {"小区名称": "铁路宿舍", "小区类型": "三无小区"}, box(108.305, 22.801, 108.307, 22.803)
        ),
        feature(
            {"小区名称": "江南花园", "类型": "商品房", "建成年份": "2008"},
            box(108.331, 22.801, 108.333, 22.803),
        ),
    ]
    path = write_geojson(tmp_path / "compounds.geojson", compounds)
    assert run_import(scratch_database, "compounds", path)["inserted"] == 3
    again = run_import(scratch_database, "compounds", path)
    assert (again["inserted"], again["updated"]) == (0, 3)
    with psycopg.connect(scratch_database) as conn:
        rows = conn.execute(
            "SELECT community_code, name, compound_type, has_property_manager, built_year"
            " FROM compounds ORDER BY compound_id"
        ).fetchall()
    assert rows == [
        (WEST, "铁路宿舍", "work_unit", True, None),
        (WEST, "铁路宿舍", "old_unmanaged", False, None),  # 三无: no property manager
        (EAST, "江南花园", "commercial", True, 2008),
    ]
    unknown = write_geojson(
        tmp_path / "unknown.geojson",
        [
            feature(
                {"compound_id": 999, "name": "x", "compound_type": "old"},
                box(108.301, 22.801, 108.302, 22.802),
            )
        ],
    )
    assert "ids are given by onemap" in str(rejected(scratch_database, "compounds", unknown))


def test_a_compound_centre_finds_its_compound(scratch_database, tmp_path):
    seed(scratch_database)
    run_import(
        scratch_database,
        "compounds",
        write_geojson(
            tmp_path / "c.geojson",
            [
                feature(
                    {"name": "江南花园", "compound_type": "commercial"},
                    box(108.331, 22.801, 108.333, 22.803),
                )
            ],
        ),
    )
    centres = [
        feature(
            {"name": "江南花园党群服务站", "level": "小区", "area_m2": 320},
            shapely.Point(108.332, 22.802),
        ),
        feature({"name": "孤站", "level": "小区", "area_m2": 50}, shapely.Point(108.310, 22.830)),
    ]
    error = rejected(
        scratch_database, "service_centers", write_geojson(tmp_path / "s.geojson", centres)
    )
    assert [(p.record, p.problem) for p in error.problems] == [
        (
            "features[1]",
            "no compound contains it: give its compound_id or import the compounds first",
        )
    ]
    run_import(
        scratch_database, "service_centers", write_geojson(tmp_path / "ok.geojson", centres[:1])
    )
    with psycopg.connect(scratch_database) as conn:
        row = conn.execute(
            "SELECT level, compound_id IS NOT NULL, community_code, county_code"
            " FROM service_centers"
        ).fetchone()
    assert row == ("compound", True, EAST, "450105")


def test_the_manual_lists_the_accepted_columns():
    from gis.imports.columns import markdown_table

    manual = (Path(__file__).resolve().parents[3] / "docs" / "importing.md").read_text(
        encoding="utf-8"
    )
    assert markdown_table() in manual


def _package(path: Path, communities: list[tuple[str, object]], grids: list[tuple[str, object]]):
    for layer, rows, column in (
        ("communities", communities, "community_code"),
        ("grids", grids, "grid_code"),
    ):
        gpd.GeoDataFrame(
            {column: [code for code, _ in rows], "name": [f"{code}社区" for code, _ in rows]},
            geometry=[shape for _, shape in rows],
            crs="EPSG:4326",
        ).to_file(path, layer=layer)
    return path


def test_a_package_brings_parents_earlier_in_the_same_file(scratch_database, tmp_path):
    seed(scratch_database)
    north = box(108.30, 22.835, 108.32, 22.84)
    good = _package(
        tmp_path / "good.gpkg",
        [("450105001003", north)],
        [("450105001003001", box(108.30, 22.836, 108.31, 22.84))],
    )
    dry = run_package(scratch_database, good, dry_run=True)
    assert [r["inserted"] for r in dry["layers"]] == [1, 1] and not dry["written"]
    assert counts(scratch_database)["communities"] == 2
    report = run_package(scratch_database, good)
    assert [(r["layer"], r["inserted"]) for r in report["layers"]] == [
        ("communities", 1),
        ("grids", 1),
    ]
    orphan = _package(
        tmp_path / "orphan.gpkg",
        [("450105001005", north)],
        [("450105001004001", box(108.30, 22.836, 108.31, 22.84))],
    )
    before = counts(scratch_database)
    with pytest.raises(ImportRejected) as caught:
        run_package(scratch_database, orphan)
    assert caught.value.report["layer"] == "grids"
    assert "unknown parent: community 450105001004" in caught.value.problems[0].problem
    assert counts(scratch_database) == before  # the valid communities layer is not kept
