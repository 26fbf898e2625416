"""Coordinate reference systems: the one CRS type (:class:`Crs`), the constants onemap
uses, GCJ-02 ↔ WGS84, and reprojection of imported geometries to the storage CRS.

Storage is EPSG:4326 (WGS84 longitude/latitude). Official Chinese data comes in CGCS2000
(EPSG:4490, within a metre of WGS84); metric work around Nanning uses CGCS2000 /
3-degree Gauss-Kruger CM 108E (EPSG:4545). Chinese web maps (AMap, Tencent) and DataV
outlines use GCJ-02, an obfuscated datum about 500 m off WGS84 around Nanning: it has no
EPSG code, so pyproj cannot convert it and this module does.

The GCJ-02 forward transform is the published one (as in eviltransform and coordtransform);
the inverse has no closed form and is found by fixed-point iteration, which converges to
well under a centimetre inside China in a few steps because the shift varies slowly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from gis.errors import InvalidParameter

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
# CGCS2000 / 3-degree Gauss-Kruger CM 108E: metres around Nanning (105–111 E works well).
CGCS2000_GK_CM108 = "EPSG:4545"
STORAGE_SRID = 4326
METRIC_SRID = 4545
GCJ02 = "gcj02"

# Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
# Outside this box GCJ-02 equals WGS84 (the algorithm leaves points abroad untouched).
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# Stop iterating once the forward transform of the estimate misses by less than this
# (degrees; 1e-10° ≈ 0.01 mm).
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_STEPS = 30


FloatArray = NDArray[np.float64]


def _shift(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (degrees) at WGS84 positions inside China."""
    x, y = lon - 105.0, lat - 35.0
    root = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root + common
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root + common
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * math.pi)
    return dlon, dlat


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether positions fall in the box where GCJ-02 differs from WGS84."""
    lon_, lat_ = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (
        (lon_ >= _CHINA_LON[0])
        & (lon_ <= _CHINA_LON[1])
        & (lat_ >= _CHINA_LAT[0])
        & (lat_ <= _CHINA_LAT[1])
    )


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 → GCJ-02, vectorised.

    Parameters
    ----------
    lon, lat : WGS84 longitude and latitude in degrees (scalars or arrays of one shape).

    Returns
    -------
    GCJ-02 longitude and latitude in degrees; positions outside China are unchanged.
    """
    lon_, lat_ = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _shift(lon_, lat_)
    inside = in_china(lon_, lat_)
    return np.where(inside, lon_ + dlon, lon_), np.where(inside, lat_ + dlat, lat_)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS84, vectorised: the exact inverse of :func:`wgs84_to_gcj02` found by
    fixed-point iteration (residual < 1e-10°, far below 1 cm).

    Parameters
    ----------
    lon, lat : GCJ-02 longitude and latitude in degrees (scalars or arrays of one shape).

    Returns
    -------
    WGS84 longitude and latitude in degrees; positions outside China are unchanged.
    """
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    # First guess: subtract the shift as measured at the GCJ-02 position itself (≈ 1 m
    # off); each step then corrects by the remaining forward-transform miss.
    estimate_lon, estimate_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        forward_lon, forward_lat = wgs84_to_gcj02(estimate_lon, estimate_lat)
        miss_lon, miss_lat = forward_lon - target_lon, forward_lat - target_lat
        estimate_lon = estimate_lon - miss_lon
        estimate_lat = estimate_lat - miss_lat
        if max(np.max(np.abs(miss_lon), initial=0.0), np.max(np.abs(miss_lat), initial=0.0)) < (
            _INVERSE_TOLERANCE_DEG
        ):
            break
    return estimate_lon, estimate_lat


def _gcj02_to_wgs84_xy(coordinates: FloatArray) -> FloatArray:
    lon, lat = gcj02_to_wgs84(coordinates[:, 0], coordinates[:, 1])
    return np.column_stack([lon, lat])


def _wgs84_to_gcj02_xy(coordinates: FloatArray) -> FloatArray:
    lon, lat = wgs84_to_gcj02(coordinates[:, 0], coordinates[:, 1])
    return np.column_stack([lon, lat])


@dataclass(frozen=True)
class Crs:
    """A coordinate reference system as onemap meets it: the CRS a file's coordinates are
    in (:func:`parse_crs`: any pyproj CRS, or GCJ-02), and the CRSs the OGC API offers for
    its answers and bbox (those with a ``uri``; the list is gis.ogc.selection's)."""

    # As people and reports name it: "gcj02", "EPSG:4545", a WKT CRS's own name.
    label: str
    # Its EPSG code, the SRID PostGIS knows it by; None for GCJ-02 (it has no code, and
    # neither pyproj nor PostGIS converts it: this module does) and for a WKT without one.
    srid: int | None
    # Degrees (latitude and longitude ranges apply) or metres.
    geographic: bool = True
    # EPSG:4326 and EPSG:4490 put latitude first, as the OGC API writes them; PostGIS and
    # files keep x = longitude, so coordinates are flipped on the way out and bbox corners
    # swapped on the way in.
    latitude_first: bool = False
    # Decimal places written to GeoJSON: 1e-9° is well under a millimetre, so is 1e-3 m.
    decimals: int = 9
    # The OGC URI naming it in ``crs``/``bbox-crs``; None when the API does not offer it.
    uri: str | None = None
    # The pyproj CRS a file declared, kept whole (a WKT carries its own parameters); None
    # when the EPSG code says all, or for GCJ-02.
    proj: pyproj.CRS | None = field(default=None, compare=False, repr=False)

    @property
    def is_gcj02(self) -> bool:
        """Whether this is GCJ-02, which only this module converts."""
        return self.label == GCJ02

    @property
    def is_storage(self) -> bool:
        """Whether coordinates in this CRS are storage coordinates as they stand."""
        return self.srid == STORAGE_SRID and not self.latitude_first

    def to_pyproj(self) -> pyproj.CRS:
        """The pyproj CRS, for reprojecting; ValueError for GCJ-02, which pyproj lacks."""
        if self.proj is not None:
            return self.proj
        if self.srid is None:
            raise ValueError(f"pyproj cannot convert {self.label}")
        return pyproj.CRS.from_epsg(self.srid)


# The OGC's WGS 84 longitude/latitude: EPSG:4326 with x = longitude, exactly how the data
# are stored, and the default CRS of every GeoJSON answer.
CRS84 = Crs("OGC:CRS84", STORAGE_SRID, uri="http://www.opengis.net/def/crs/OGC/1.3/CRS84")
STORAGE_CRS = CRS84


_GCJ02_SPELLINGS = {"gcj02", "gcj-02", "gcj_02", "gcj"}
_OGC_CRS84 = re.compile(r"(urn:ogc:def:crs:ogc:1\.3:crs84|/def/crs/ogc/1\.3/crs84|^crs84$)", re.I)


def parse_crs(text: str, *, parameter: str = "crs") -> Crs:
    """A CRS named by a person or a file: ``gcj02``, ``EPSG:4545``, ``4545``, an OGC URN
    (``urn:ogc:def:crs:EPSG::4490``), CRS84, or WKT.

    Raises
    ------
    InvalidParameter naming ``parameter`` when pyproj does not know the CRS.
    """
    spelled = text.strip()
    if spelled.lower() in _GCJ02_SPELLINGS:
        return Crs(GCJ02, None)
    if _OGC_CRS84.search(spelled):
        return Crs(WGS84, STORAGE_SRID)
    if spelled.isdigit():
        spelled = f"EPSG:{spelled}"
    try:
        crs = pyproj.CRS.from_user_input(spelled)
    except pyproj.exceptions.CRSError as error:
        raise InvalidParameter(
            parameter, f"unknown CRS {text!r}: give EPSG:nnnn (e.g. EPSG:4490) or gcj02 ({error})"
        ) from None
    epsg = crs.to_epsg()
    geographic = crs.is_geographic
    return Crs(
        f"EPSG:{epsg}" if epsg else crs.name,
        epsg,
        geographic=geographic,
        decimals=9 if geographic else 3,
        proj=crs,
    )


def to_storage(geometries: NDArray[np.object_], source: Crs) -> NDArray[np.object_]:
    """Reproject shapely geometries from ``source`` to EPSG:4326 (None stays None).

    Parameters
    ----------
    geometries : array of shapely geometries (or None) in the source CRS.
    source : the CRS the coordinates are in.

    Returns
    -------
    A new array of geometries in EPSG:4326 longitude/latitude (degrees).
    """
    if source.is_gcj02:
        return shapely.transform(geometries, _gcj02_to_wgs84_xy)
    if source.is_storage:
        return geometries
    transformer = pyproj.Transformer.from_crs(source.to_pyproj(), STORAGE_SRID, always_xy=True)

    def reproject(coordinates: FloatArray) -> FloatArray:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, reproject)


def from_storage_to_gcj02(geometries: NDArray[np.object_]) -> NDArray[np.object_]:
    """EPSG:4326 geometries as GCJ-02, for overlaying on Chinese web basemaps."""
    return shapely.transform(geometries, _wgs84_to_gcj02_xy)


def plausible_lonlat(bounds: ArrayLike) -> bool:
    """Whether a (minx, miny, maxx, maxy) box in degrees could be longitude/latitude."""
    minx, miny, maxx, maxy = (float(v) for v in np.asarray(bounds, dtype=float))
    if any(math.isnan(v) for v in (minx, miny, maxx, maxy)):
        return True  # nothing to judge (no coordinates at all)
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0
