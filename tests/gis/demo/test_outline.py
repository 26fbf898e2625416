"""Jiangnan's shipped outline (gis/data): one valid polygon of the district's real size and
place, in WGS84 — checked against DataV's GCJ-02 outline, read from ../shared/data beside
the checkout and never shipped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import psycopg
import shapely

from gis.crs import wgs84_to_gcj02
from gis.demo.outline import jiangnan_outline

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
DATAV = SHARED / "boundaries" / "datav_450105_jiangnan.json"


def datav_outline() -> shapely.Geometry:
    (feature,) = json.loads(DATAV.read_text(encoding="utf-8"))  # a bare array of features
    return shapely.geometry.shape(feature["geometry"])


def as_gcj02(outline: shapely.Geometry) -> shapely.Geometry:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    return shapely.transform(outline, shift)


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return shapely.intersection(a, b).area / shapely.union(a, b).area


def test_one_valid_polygon_of_jiangnan_size_and_place(db: psycopg.Connection):
    outline = jiangnan_outline()
    assert isinstance(outline, shapely.Polygon) and outline.is_valid
    (valid, parts, area_km2) = db.execute(
        "SELECT ST_IsValid(g), ST_NumGeometries(g), ST_Area(g::geography) / 1e6"
        " FROM ST_GeomFromText(%s, 4326) AS g",
        (outline.wkt,),
    ).fetchone()
    print(f"shipped outline: {area_km2:,.1f} km², bounds {outline.bounds}")
    assert valid and parts == 1
    assert 1150 < area_km2 < 1210
    west, south, east, north = outline.bounds
    assert 107.97 <= west < east <= 108.36
    assert 22.32 <= south < north <= 22.87


def test_the_outline_is_in_wgs84_not_gcj02():
    """Back in GCJ-02 it lies on DataV's (GCJ-02) outline; as shipped it is ≈ 500 m off it."""
    outline, datav = jiangnan_outline(), datav_outline()
    as_gcj, as_shipped = iou(as_gcj02(outline), datav), iou(outline, datav)
    print(f"IoU with DataV: {as_gcj:.4f} back in GCJ-02, {as_shipped:.4f} as shipped (WGS84)")
    assert as_gcj > 0.97
    assert as_shipped < 0.95
