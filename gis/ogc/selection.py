"""What an OGC API – Features request selects, as SQL: CRSs, bbox, datetime, filters.

The WHERE clause is shared by a page of items and its numberMatched count, so the two
can never disagree. Identifiers come only from the registry in :mod:`gis.ogc.collections`;
every value is a bound parameter. A bbox is transformed to the storage SRID, never the
column, so the GiST index answers the spatial filter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import sql

from gis.crs import CRS84, STORAGE_SRID, Crs
from gis.errors import InvalidParameter
from gis.ogc.collections import Collection, Property

# Every published table keeps its geometry in this column, in STORAGE_SRID (the tables of
# migrations/versions/0001_places_and_activity.py).
GEOMETRY_COLUMN = "geom"


# The CRSs offered through the ``crs`` and ``bbox-crs`` parameters, beside CRS84.
EPSG_4326 = Crs(  # WGS 84 (latitude, longitude)
    "EPSG:4326", 4326, latitude_first=True, uri="http://www.opengis.net/def/crs/EPSG/0/4326"
)
EPSG_4490 = Crs(  # CGCS2000 (latitude, longitude)
    "EPSG:4490", 4490, latitude_first=True, uri="http://www.opengis.net/def/crs/EPSG/0/4490"
)
EPSG_3857 = Crs(  # WGS 84 / Pseudo-Mercator (metres)
    "EPSG:3857",
    3857,
    geographic=False,
    decimals=3,
    uri="http://www.opengis.net/def/crs/EPSG/0/3857",
)
# CRS84 first: OGC API Features Part 2 requires the default CRS to lead the list.
SUPPORTED_CRS: dict[str, Crs] = {
    c.uri: c for c in (CRS84, EPSG_4326, EPSG_4490, EPSG_3857) if c.uri is not None
}


def crs_by_uri(uri: str, *, parameter: str = "crs") -> Crs:
    """The supported CRS named by ``uri``; InvalidParameter naming ``parameter`` if none."""
    found = SUPPORTED_CRS.get(uri.strip())
    if found is None:
        offered = ", ".join(SUPPORTED_CRS)
        raise InvalidParameter(parameter, f"unsupported CRS {uri!r}; use one of {offered}")
    return found


def as_crs(value: Crs | str, parameter: str) -> Crs:
    """``value`` as a Crs: a Crs as is, a URI looked up; InvalidParameter naming ``parameter``
    when it is not a supported CRS."""
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
        """The interval of a single instant."""
        return cls(at, at)


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
    if prop.values and raw not in prop.values:
        raise InvalidParameter(
            prop.name, f"expected one of {', '.join(prop.values)} ({prop.title}), got {raw!r}"
        )
    if prop.pattern and not re.fullmatch(prop.pattern, raw):
        raise InvalidParameter(prop.name, f"expected a {prop.title}, got {raw!r}")
    return raw


def comparable(prop: Property) -> sql.Composable:
    """The expression an equality filter compares, chosen so column indexes apply.

    Codes are served trimmed (``rtrim(code)``) but stored as char(n); comparing the
    char(n) column itself (trailing blanks are insignificant for char) keeps the index.
    """
    if prop.expression == f"rtrim({prop.name})":
        return sql.Identifier(prop.name)
    return sql.SQL(prop.sql)


def where_clause(
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
        conditions.append(sql.SQL("{} = {}").format(comparable(prop), sql.Placeholder(key)))
    where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true")
    return where, params
