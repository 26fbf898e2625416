"""Feature queries behind OGC API – Features: pages of items, one item, counts, extents.

Every function takes an async psycopg connection first, so a notebook runs the very
queries the API runs::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        page = await features.items(conn, "grids", bbox=(108.30, 22.78, 108.32, 22.80))

PostGIS builds the GeoJSON (``ST_AsGeoJSON`` inside ``json_build_object``/``json_agg``);
Python never loops over rows. Table, column and property expressions come only from the
registry in :mod:`gis.collections`; every value is a bound parameter. A bounding box is
transformed to the storage CRS (EPSG:4326, longitude first), never the column, so the
GiST index answers the spatial filter.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from psycopg import AsyncConnection, sql

from gis.collections import COLLECTIONS, Collection, Property
from gis.errors import InvalidParameter, NotFound

# Every published table keeps its geometry in this column, in this SRID (migration 0001).
GEOMETRY_COLUMN = "geom"
STORAGE_SRID = 4326

DEFAULT_LIMIT = 10
# Larger pages are clamped to this rather than refused, as OGC API Features allows.
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Crs:
    """A coordinate reference system offered through the ``crs``/``bbox-crs`` parameters."""

    uri: str
    srid: int
    title: str
    # EPSG:4326 and EPSG:4490 put latitude first, but PostGIS always keeps x = longitude:
    # coordinates are flipped on the way out and bbox corners swapped on the way in.
    latitude_first: bool
    # Degrees (latitude/longitude ranges apply) or metres.
    geographic: bool
    # Decimal places written to GeoJSON: 1e-9° is well under a millimetre, so is 1e-3 m.
    decimals: int


CRS84 = Crs(
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    4326,
    "WGS 84 longitude/latitude",
    latitude_first=False,
    geographic=True,
    decimals=9,
)
EPSG_4326 = Crs(
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    4326,
    "WGS 84 (latitude, longitude)",
    latitude_first=True,
    geographic=True,
    decimals=9,
)
EPSG_4490 = Crs(
    "http://www.opengis.net/def/crs/EPSG/0/4490",
    4490,
    "CGCS2000 (latitude, longitude)",
    latitude_first=True,
    geographic=True,
    decimals=9,
)
EPSG_3857 = Crs(
    "http://www.opengis.net/def/crs/EPSG/0/3857",
    3857,
    "WGS 84 / Pseudo-Mercator (metres)",
    latitude_first=False,
    geographic=False,
    decimals=3,
)
# CRS84 first: OGC API Features Part 2 requires the default CRS to lead the list.
SUPPORTED_CRS: dict[str, Crs] = {c.uri: c for c in (CRS84, EPSG_4326, EPSG_4490, EPSG_3857)}
# The data are stored as EPSG:4326 with longitude first, which is exactly CRS84.
STORAGE_CRS = CRS84


def crs_by_uri(uri: str, *, parameter: str = "crs") -> Crs:
    """The supported CRS named by ``uri``; InvalidParameter naming ``parameter`` if none."""
    found = SUPPORTED_CRS.get(uri.strip())
    if found is None:
        offered = ", ".join(SUPPORTED_CRS)
        raise InvalidParameter(parameter, f"unsupported CRS {uri!r}; use one of {offered}")
    return found


def _as_crs(value: Crs | str, parameter: str) -> Crs:
    return value if isinstance(value, Crs) else crs_by_uri(value, parameter=parameter)


@dataclass(frozen=True)
class Interval:
    """A closed time interval for ``datetime``; None leaves that end open."""

    start: datetime | None
    end: datetime | None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidParameter("datetime", "the interval starts after it ends")

    @classmethod
    def instant(cls, at: datetime) -> Interval:
        return cls(at, at)


@dataclass(frozen=True)
class FeaturePage:
    """One page of a collection's items; ``features`` is the GeoJSON array as text.

    ``first_id``/``last_id`` are the ids at the page's ends (as text, None when the page
    is empty): pass them as ``before``/``after`` to fetch the neighbouring pages.
    """

    collection_id: str
    number_matched: int
    number_returned: int
    limit: int
    crs: Crs
    first_id: str | None
    last_id: str | None
    has_previous: bool
    has_next: bool
    features: str


@dataclass(frozen=True)
class Extent:
    """Spatial extent in CRS84 and temporal extent; None when the collection is empty."""

    bbox: tuple[float, float, float, float] | None
    first_instant: datetime | None
    last_instant: datetime | None


def collection(collection_id: str) -> Collection:
    """The registered collection, or NotFound."""
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection {collection_id!r}; see /ogc/collections")
    return found


def check_bbox(
    corners: tuple[float, ...] | list[float], crs: Crs = CRS84, *, parameter: str = "bbox"
) -> tuple[float, float, float, float]:
    """Validate a bbox in ``crs`` axis order; returns (min lon/x, min lat/y, max, max).

    Takes 4 numbers, or 6 with heights (ignored: the data are 2D). Raises InvalidParameter
    for a wrong count, non-finite numbers, a minimum above its maximum, and latitudes or
    longitudes outside their ranges in a geographic CRS.
    """
    if len(corners) not in (4, 6):
        raise InvalidParameter(parameter, f"expected 4 or 6 numbers, got {len(corners)}")
    numbers = [float(value) for value in corners]
    if not all(math.isfinite(value) for value in numbers):
        raise InvalidParameter(parameter, "numbers must be finite")
    low, high = (numbers[0:2], numbers[2:4]) if len(numbers) == 4 else (numbers[0:2], numbers[3:5])
    if crs.latitude_first:  # corners arrive as (latitude, longitude)
        low, high = low[::-1], high[::-1]
    (min_x, min_y), (max_x, max_y) = low, high
    x_name, y_name = ("longitude", "latitude") if crs.geographic else ("x", "y")
    if min_x > max_x:
        raise InvalidParameter(parameter, f"minimum {x_name} {min_x} exceeds maximum {max_x}")
    if min_y > max_y:
        raise InvalidParameter(parameter, f"minimum {y_name} {min_y} exceeds maximum {max_y}")
    if crs.geographic:
        if not (-90 <= min_y <= 90 and -90 <= max_y <= 90):
            raise InvalidParameter(parameter, f"latitude out of range [-90, 90]: {min_y}, {max_y}")
        if not (-180 <= min_x <= 180 and -180 <= max_x <= 180):
            raise InvalidParameter(
                parameter, f"longitude out of range [-180, 180]: {min_x}, {max_x}"
            )
    return min_x, min_y, max_x, max_y


def filter_value(prop: Property, raw: str) -> Any:
    """The typed value of ``?name=raw`` for a filterable property; InvalidParameter if not."""
    if not prop.filterable:
        raise InvalidParameter(prop.name, "this property cannot be used as a filter")
    if prop.json_type == "integer":
        try:
            return int(raw)
        except ValueError:
            raise InvalidParameter(prop.name, f"expected an integer, got {raw!r}") from None
    if prop.json_type == "number":
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InvalidParameter(prop.name, f"expected a number, got {raw!r}")
        return number
    if prop.json_type == "boolean":
        if raw not in ("true", "false"):
            raise InvalidParameter(prop.name, f"expected true or false, got {raw!r}")
        return raw == "true"
    return raw


def _sql(name: str) -> str:
    return resources.files("gis.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _comparable(prop: Property) -> sql.Composable:
    """The expression an equality filter compares, chosen so column indexes apply.

    Codes are served trimmed (``rtrim(code)``) but stored as char(n); comparing the
    char(n) column itself (trailing blanks are insignificant for char) keeps the index.
    """
    if prop.expression == f"rtrim({prop.name})":
        return sql.Identifier(prop.name)
    return sql.SQL(prop.sql)


def _properties(source: Collection) -> sql.Composable:
    pairs = [
        sql.SQL("{}, {}").format(sql.Literal(prop.name), sql.SQL(prop.sql))
        for prop in source.properties
    ]
    return sql.SQL("json_build_object({})").format(sql.SQL(", ").join(pairs))


def _feature_id(source: Collection) -> sql.Composable:
    prop = source.property(source.id_column)
    return sql.SQL(prop.sql) if prop else sql.Identifier(source.id_column)


def _geometry(crs: Crs) -> sql.Composable:
    geometry: sql.Composable = sql.Identifier(GEOMETRY_COLUMN)
    if crs.srid != STORAGE_SRID:
        geometry = sql.SQL("ST_Transform({}, {})").format(geometry, sql.Literal(crs.srid))
    if crs.latitude_first:
        geometry = sql.SQL("ST_FlipCoordinates({})").format(geometry)
    # options 0: no GeoJSON 2008 "crs" member; Part 2 names the CRS in Content-Crs instead.
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)::json").format(geometry, sql.Literal(crs.decimals))


def _conditions(
    source: Collection,
    *,
    bbox: tuple[float, ...] | list[float] | None,
    bbox_crs: Crs,
    datetime: Interval | None,
    filters: dict[str, str] | None,
) -> tuple[sql.Composable, dict[str, Any]]:
    """The WHERE clause for the filters, and its parameters."""
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if bbox is not None:
        min_x, min_y, max_x, max_y = check_bbox(bbox, bbox_crs)
        params.update(bbox_min_x=min_x, bbox_min_y=min_y, bbox_max_x=max_x, bbox_max_y=max_y)
        params["bbox_srid"] = bbox_crs.srid
        # The envelope goes to the storage SRID (ST_Transform is a no-op for 4326), so
        # ST_Intersects can use the GiST index on the untouched column.
        conditions.append(
            sql.SQL(
                "ST_Intersects({}, ST_Transform(ST_MakeEnvelope(%(bbox_min_x)s, %(bbox_min_y)s,"
                " %(bbox_max_x)s, %(bbox_max_y)s, %(bbox_srid)s), {}))"
            ).format(sql.Identifier(GEOMETRY_COLUMN), sql.Literal(STORAGE_SRID))
        )
    # Features without a temporal column have no temporal geometry; OGC API Features keeps
    # them in the result whatever the datetime asks.
    if datetime is not None and source.temporal_column is not None:
        instant = sql.Identifier(source.temporal_column)
        if datetime.start is not None:
            params["datetime_start"] = datetime.start
            conditions.append(sql.SQL("{} >= %(datetime_start)s").format(instant))
        if datetime.end is not None:
            params["datetime_end"] = datetime.end
            conditions.append(sql.SQL("{} <= %(datetime_end)s").format(instant))
    for index, (name, raw) in enumerate(sorted((filters or {}).items())):
        prop = source.property(name)
        if prop is None:
            raise InvalidParameter(name, f"not a property of collection {source.id!r}")
        key = f"filter_{index}"
        params[key] = filter_value(prop, raw)
        conditions.append(sql.SQL("{} = {}").format(_comparable(prop), sql.Placeholder(key)))
    where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true")
    return where, params


async def items(
    conn: AsyncConnection,
    collection_id: str,
    *,
    bbox: tuple[float, ...] | list[float] | None = None,
    bbox_crs: Crs | str = CRS84,
    datetime: Interval | None = None,
    filters: dict[str, str] | None = None,
    crs: Crs | str = CRS84,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
    before: str | None = None,
) -> FeaturePage:
    """A page of a collection's features, ordered by feature id, as GeoJSON text.

    Parameters
    ----------
    bbox
        Corners in ``bbox_crs`` axis order (latitude first for EPSG:4326/4490); features
        whose geometry intersects the box are kept.
    datetime
        Keeps features whose temporal column lies in the closed interval; ignored by
        collections without one.
    filters
        ``{property: value}`` equality filters on filterable properties, values as the
        query string gives them (typed here).
    crs
        CRS of the returned coordinates.
    limit
        Page size, clamped to 10,000.
    after, before
        Keyset paging: the page starts after feature id ``after``, or ends before
        feature id ``before`` (at most one of them).
    """
    source = collection(collection_id)
    output_crs = _as_crs(crs, "crs")
    if limit < 1:
        raise InvalidParameter("limit", f"must be a positive integer, got {limit}")
    limit = min(limit, MAX_LIMIT)
    where, params = _conditions(
        source,
        bbox=bbox,
        bbox_crs=_as_crs(bbox_crs, "bbox-crs"),
        datetime=datetime,
        filters=filters,
    )
    id_column = sql.Identifier(source.id_column)
    keyset: sql.Composable = sql.SQL("true")
    direction = sql.SQL("ASC")
    if after is not None and before is not None:
        raise InvalidParameter("before", "cannot be combined with after")
    if after is not None:
        params["after"] = _feature_key(source, after, parameter="after")
        keyset = sql.SQL("{} > %(after)s").format(id_column)
    elif before is not None:
        # The page just before the key: walk the index backwards, then serve ascending.
        params["before"] = _feature_key(source, before, parameter="before")
        keyset = sql.SQL("{} < %(before)s").format(id_column)
        direction = sql.SQL("DESC")
    feature = sql.SQL(
        "json_build_object('type', 'Feature', 'id', {}, 'geometry', {}, 'properties', {})"
    ).format(_feature_id(source), _geometry(output_crs), _properties(source))
    query = sql.SQL(_sql("feature_page")).format(
        table=sql.Identifier(source.table),
        id_column=id_column,
        conditions=where,
        keyset=keyset,
        direction=direction,
        feature=feature,
    )
    cursor = await conn.execute(query, {**params, "limit": limit})
    row = await cursor.fetchone()
    assert row is not None  # the bounds aggregate always returns one row
    matched, returned, first_id, last_id, has_previous, has_next, features = row
    return FeaturePage(
        collection_id=source.id,
        number_matched=int(matched),
        number_returned=int(returned),
        limit=limit,
        crs=output_crs,
        first_id=first_id,
        last_id=last_id,
        has_previous=bool(has_previous),
        has_next=bool(has_next),
        features=features,
    )


def _feature_key(source: Collection, feature_id: str, *, parameter: str) -> int | str:
    """A feature id typed like the id column; InvalidParameter naming ``parameter``."""
    if source.id_type != "integer":
        return feature_id
    try:
        return int(feature_id)
    except ValueError:
        raise InvalidParameter(
            parameter, f"feature ids of {source.id} are integers, got {feature_id!r}"
        ) from None


async def item(
    conn: AsyncConnection,
    collection_id: str,
    feature_id: str,
    *,
    crs: Crs | str = CRS84,
    links: list[dict[str, str]] | None = None,
) -> str:
    """One feature as GeoJSON text, with ``links`` as its links member; NotFound if absent."""
    source = collection(collection_id)
    output_crs = _as_crs(crs, "crs")
    try:
        key = _feature_key(source, feature_id, parameter="featureId")
    except InvalidParameter:
        # Not even shaped like an id of this collection: no such feature.
        raise NotFound(f"no feature {feature_id!r} in collection {source.id!r}") from None
    id_prop = source.property(source.id_column)
    id_target = _comparable(id_prop) if id_prop else sql.Identifier(source.id_column)
    query = sql.SQL(_sql("feature_by_id")).format(
        feature_id=_feature_id(source),
        geometry=_geometry(output_crs),
        properties=_properties(source),
        table=sql.Identifier(source.table),
        id_column=id_target,
        id_value=sql.Placeholder("feature_id"),
    )
    cursor = await conn.execute(query, {"feature_id": key, "links": json.dumps(links or [])})
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no feature {feature_id!r} in collection {source.id!r}")
    return str(row[0])


async def count(
    conn: AsyncConnection,
    collection_id: str,
    *,
    bbox: tuple[float, ...] | list[float] | None = None,
    bbox_crs: Crs | str = CRS84,
    datetime: Interval | None = None,
    filters: dict[str, str] | None = None,
) -> int:
    """How many features match the same filters :func:`items` takes."""
    source = collection(collection_id)
    where, params = _conditions(
        source,
        bbox=bbox,
        bbox_crs=_as_crs(bbox_crs, "bbox-crs"),
        datetime=datetime,
        filters=filters,
    )
    query = sql.SQL(_sql("feature_count")).format(
        table=sql.Identifier(source.table), conditions=where
    )
    cursor = await conn.execute(query, params)
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def extent(conn: AsyncConnection, collection_id: str) -> Extent:
    """The collection's bounding box in CRS84 and its first and last instants."""
    source = collection(collection_id)
    temporal = (
        sql.Identifier(source.temporal_column)
        if source.temporal_column
        else sql.SQL("NULL::timestamptz")
    )
    query = sql.SQL(_sql("collection_extent")).format(
        table=sql.Identifier(source.table), temporal_column=temporal
    )
    cursor = await conn.execute(query)
    row = await cursor.fetchone()
    assert row is not None
    min_x, min_y, max_x, max_y, first_instant, last_instant = row
    bbox = None if min_x is None else (float(min_x), float(min_y), float(max_x), float(max_y))
    return Extent(bbox=bbox, first_instant=first_instant, last_instant=last_instant)
