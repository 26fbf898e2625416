"""GCJ-02 ↔ WGS84 and reprojection to the storage CRS."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely

from gis import crs
from gis.errors import InvalidParameter

# (WGS84 lat, lon, GCJ-02 lat, lon): the reference pairs of the eviltransform project.
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
METRES_PER_DEGREE = 111_320.0


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), REFERENCE)
def test_forward_and_inverse_match_the_reference(wlat, wlon, glat, glon):
    lon, lat = crs.wgs84_to_gcj02(wlon, wlat)
    assert abs(lon - glon) < 1e-9 and abs(lat - glat) < 1e-9
    lon, lat = crs.gcj02_to_wgs84(glon, glat)
    assert abs(lon - wlon) < 1e-9 and abs(lat - wlat) < 1e-9


def test_inverse_is_accurate_to_under_a_centimetre_across_china():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(73.7, 134.7, 200_000), rng.uniform(18.2, 53.5, 200_000)
    back_lon, back_lat = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    error_m = np.hypot((back_lon - lon) * np.cos(np.radians(lat)), back_lat - lat)
    assert error_m.max() * METRES_PER_DEGREE < 0.01


def test_the_shift_around_nanning_is_about_half_a_kilometre_and_none_abroad():
    lon, lat = crs.wgs84_to_gcj02(108.29, 22.78)
    shift_m = math.hypot((lon - 108.29) * math.cos(math.radians(22.78)), lat - 22.78)
    assert 300 < shift_m * METRES_PER_DEGREE < 700
    assert crs.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris stays put
    assert crs.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_geometries_convert_both_ways():
    ring = shapely.box(108.28, 22.77, 108.30, 22.79)
    gcj = crs.from_storage_to_gcj02(np.array([ring]))
    back = crs.to_storage(gcj, crs.parse_crs("gcj02"))[0]
    assert shapely.hausdorff_distance(back, ring) * METRES_PER_DEGREE < 0.01
    assert shapely.hausdorff_distance(gcj[0], ring) * METRES_PER_DEGREE > 300


def test_epsg_sources_are_reprojected_with_pyproj():
    to_metric = pyproj.Transformer.from_crs(4326, 4545, always_xy=True)
    x, y = to_metric.transform(108.29, 22.78)
    point = crs.to_storage(np.array([shapely.Point(x, y)]), crs.parse_crs("EPSG:4545"))[0]
    assert abs(point.x - 108.29) < 1e-8 and abs(point.y - 22.78) < 1e-8
    same = np.array([shapely.Point(108.29, 22.78)])
    assert crs.to_storage(same, crs.parse_crs("4326"))[0].equals(same[0])


@pytest.mark.parametrize(
    ("spelled", "label"),
    [
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("EPSG:4490", "EPSG:4490"),
        ("4545", "EPSG:4545"),
        ("urn:ogc:def:crs:EPSG::4490", "EPSG:4490"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326"),
    ],
)
def test_crs_spellings(spelled, label):
    assert crs.parse_crs(spelled).label == label


def test_an_unknown_crs_is_a_parameter_error():
    with pytest.raises(InvalidParameter, match="EPSG:nnnn"):
        crs.parse_crs("EPSG:99999999")
    with pytest.raises(InvalidParameter):
        crs.parse_crs("bd09 please")


def test_plausible_lonlat():
    assert crs.plausible_lonlat((108.2, 22.7, 108.4, 22.9))
    assert not crs.plausible_lonlat((36_500_000.0, 2_520_000.0, 36_520_000.0, 2_540_000.0))
    assert not crs.plausible_lonlat((500_000.0, 2_520_000.0, 520_000.0, 2_540_000.0))
