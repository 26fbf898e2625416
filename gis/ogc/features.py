"""Feature queries behind OGC API – Features: pages of items, one item, counts, extents.

Every function takes an async psycopg connection first, so a notebook runs the very
queries the API runs::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        page = await features.items(conn, "grids", bbox=(108.30, 22.78, 108.32, 22.80))

PostGIS builds the GeoJSON (``ST_AsGeoJSON`` inside ``json_build_object``/``json_agg``);
Python never loops over rows. What a request selects (bbox, datetime, filters, CRS) is
rendered in :mod:`gis.ogc.selection`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, sql

from gis.crs import CRS84, STORAGE_SRID, Crs
from gis.errors import InvalidParameter, NotFound
from gis.ogc.collections import COLLECTIONS, Collection
from gis.ogc.selection import (
    GEOMETRY_COLUMN,
    Interval,
    as_crs,
    comparable,
    where_clause,
)
from gis.sql import query

DEFAULT_LIMIT = 10
# Larger pages are clamped to this rather than refused, as OGC API Features allows.
MAX_LIMIT = 10_000


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
    output_crs = as_crs(crs, "crs")
    if limit < 1:
        raise InvalidParameter("limit", f"must be a positive integer, got {limit}")
    limit = min(limit, MAX_LIMIT)
    where, params = where_clause(
        source,
        bbox=bbox,
        bbox_crs=as_crs(bbox_crs, "bbox-crs"),
        datetime=datetime,
        filters=filters,
    )
    id_column = sql.Identifier(source.id_column)
    table = sql.Identifier(source.table)
    keyset: sql.Composable = sql.SQL("true")
    behind: sql.Composable = sql.SQL("false")
    direction = sql.SQL("ASC")
    if after is not None and before is not None:
        raise InvalidParameter("before", "cannot be combined with after")
    if after is not None:
        params["after"] = _page_key(source, after, parameter="after")
        keyset = sql.SQL("{} > %(after)s").format(id_column)
        behind = sql.SQL("EXISTS (SELECT FROM {} WHERE {} AND {} <= %(after)s)").format(
            table, where, id_column
        )
    elif before is not None:
        # The page just before the key: walk the index backwards, then serve ascending.
        params["before"] = _page_key(source, before, parameter="before")
        keyset = sql.SQL("{} < %(before)s").format(id_column)
        behind = sql.SQL("EXISTS (SELECT FROM {} WHERE {} AND {} >= %(before)s)").format(
            table, where, id_column
        )
        direction = sql.SQL("DESC")
    feature = sql.SQL(
        "json_build_object('type', 'Feature', 'id', {}, 'geometry', {}, 'properties', {})"
    ).format(_feature_id(source), _geometry(output_crs), _properties(source))
    statement = sql.SQL(query("ogc/feature_page")).format(
        table=table,
        id_column=id_column,
        conditions=where,
        keyset=keyset,
        direction=direction,
        behind=behind,
        feature=feature,
    )
    cursor = await conn.execute(statement, {**params, "limit": limit})
    row = await cursor.fetchone()
    assert row is not None  # a SELECT without FROM always returns one row
    matched, returned, first_id, last_id, more_ahead, more_behind, features = row
    if before is not None:  # walked backwards, so what lies ahead is the previous page
        has_previous, has_next = more_ahead, more_behind
    else:
        has_previous, has_next = more_behind, more_ahead
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


def _page_key(source: Collection, feature_id: str, *, parameter: str) -> int | str:
    """A paging token (the id a next or prev link carries). A code that is malformed is
    refused like a filter on it (400), not compared with every id of the collection."""
    key = source.property(source.id_column)
    if key is not None and key.pattern and not re.fullmatch(key.pattern, feature_id):
        raise InvalidParameter(
            parameter, f"feature ids of {source.id} are {key.title}s, got {feature_id!r}"
        )
    return _feature_key(source, feature_id, parameter=parameter)


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
    output_crs = as_crs(crs, "crs")
    try:
        if "\x00" in feature_id:  # cannot be in a text column, nor bound as one
            raise InvalidParameter("featureId", "contains a NUL character")
        key = _feature_key(source, feature_id, parameter="featureId")
    except InvalidParameter:
        # Not even shaped like an id of this collection: no such feature.
        raise NotFound(f"no feature {feature_id!r} in collection {source.id!r}") from None
    id_prop = source.property(source.id_column)
    id_target = comparable(id_prop) if id_prop else sql.Identifier(source.id_column)
    statement = sql.SQL(query("ogc/feature_by_id")).format(
        feature_id=_feature_id(source),
        geometry=_geometry(output_crs),
        properties=_properties(source),
        table=sql.Identifier(source.table),
        id_column=id_target,
        id_value=sql.Placeholder("feature_id"),
    )
    cursor = await conn.execute(statement, {"feature_id": key, "links": json.dumps(links or [])})
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
    where, params = where_clause(
        source,
        bbox=bbox,
        bbox_crs=as_crs(bbox_crs, "bbox-crs"),
        datetime=datetime,
        filters=filters,
    )
    statement = sql.SQL(query("ogc/feature_count")).format(
        table=sql.Identifier(source.table), conditions=where
    )
    cursor = await conn.execute(statement, params)
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
    statement = sql.SQL(query("ogc/collection_extent")).format(
        table=sql.Identifier(source.table), temporal_column=temporal
    )
    cursor = await conn.execute(statement)
    row = await cursor.fetchone()
    assert row is not None
    min_x, min_y, max_x, max_y, first_instant, last_instant = row
    bbox = None if min_x is None else (float(min_x), float(min_y), float(max_x), float(max_y))
    return Extent(bbox=bbox, first_instant=first_instant, last_instant=last_instant)
