"""Feature queries behind OGC API – Features: pages of items, one item, counts, extents.

Every function takes an async psycopg connection first, so a notebook runs the very
queries the API runs::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        page = await features.items(conn, "grids", bbox=(108.30, 22.78, 108.32, 22.80))

PostGIS builds the GeoJSON (``ST_AsGeoJSON`` inside ``json_build_object``/``json_agg``);
Python never loops over rows. What a request selects (bbox, datetime, filters, CRS) is
rendered in :mod:`gis.ogc.selection`.

Each answer carries the collection's version (:mod:`gis.ogc.versions`), read in the same
snapshot as its data. Extents and counts are kept in bounded in-process caches keyed by
that version, so a collection's extent is computed once per change, not per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql

from gis.crs import CRS84, STORAGE_SRID, Crs
from gis.errors import InvalidParameter, NotFound
from gis.ogc import versions
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
    """One page of a collection's items; ``features`` is the GeoJSON array as UTF-8 bytes.

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
    features: bytes
    # the collection's version the page was read at (its ETag's source), and when the
    # data served last changed (its timeStamp)
    version: versions.Version


@dataclass(frozen=True)
class Extent:
    """Spatial extent in CRS84 and temporal extent; None when the collection is empty."""

    bbox: tuple[float, float, float, float] | None
    first_instant: datetime | None
    last_instant: datetime | None


# Per process: one extent per collection and version; counts per selection (a plain
# count, a bbox a map asks for again and again) with the version they were made at.
_extents: versions.VersionedCache[Extent] = versions.VersionedCache(size=64)
_counts: versions.VersionedCache[int] = versions.VersionedCache(size=4096)


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


def _properties_text(source: Collection) -> sql.Composable:
    """The row's properties as JSON text: read from the row when it keeps them."""
    if source.properties_column:
        return sql.Identifier("feature_row", source.properties_column)
    return sql.SQL("{}::text").format(_properties(source))


def _feature_id(source: Collection) -> sql.Composable:
    prop = source.property(source.id_column)
    return sql.SQL(prop.sql) if prop else sql.Identifier(source.id_column)


def _geometry_text(crs: Crs) -> sql.Composable:
    geometry: sql.Composable = sql.Identifier(GEOMETRY_COLUMN)
    if crs.srid != STORAGE_SRID:
        geometry = sql.SQL("ST_Transform({}, {})").format(geometry, sql.Literal(crs.srid))
    if crs.latitude_first:
        geometry = sql.SQL("ST_FlipCoordinates({})").format(geometry)
    # options 0: no GeoJSON 2008 "crs" member; Part 2 names the CRS in Content-Crs instead.
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)").format(geometry, sql.Literal(crs.decimals))


def _geometry(crs: Crs) -> sql.Composable:
    return sql.SQL("{}::json").format(_geometry_text(crs))


def feature_text(source: Collection, crs: Crs) -> sql.Composable:
    """A row's GeoJSON Feature as text, for pages of features.

    Put together as text: ``ST_AsGeoJSON(...)::json`` inside ``json_build_object`` makes
    PostgreSQL parse every coordinate of the text PostGIS just wrote (the json type checks
    its input), a third of a 1,000-building page's time. The geometry and the properties
    are JSON as written, so joining the texts gives the same Feature. A collection whose
    rows keep their properties' text (``properties_column``) has it read, not built.
    """
    return sql.SQL(
        """'{{"type": "Feature", "id": ' || to_json({})::text"""
        """ || ', "geometry": ' || coalesce({}, 'null')"""
        """ || ', "properties": ' || {} || '}}'"""
    ).format(_feature_id(source), _geometry_text(crs), _properties_text(source))


@dataclass(frozen=True)
class PageQuery:
    """A checked request for a page of features, ready to run (:func:`page_query`)."""

    source: Collection
    crs: Crs
    limit: int
    # walked backwards from a ``before`` token
    backwards: bool
    statement: sql.Composed
    params: dict[str, Any]
    # the counties the page can hold rows of (None: any), which its version is over
    counties: list[str] | None
    # what its numberMatched is kept under
    count_key: tuple[Hashable, ...]


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
    """A page of a collection's features, ordered by feature id, as GeoJSON text; the
    parameters are those of :func:`page_query`."""
    return await read_page(
        conn,
        page_query(
            collection_id,
            bbox=bbox,
            bbox_crs=bbox_crs,
            datetime=datetime,
            filters=filters,
            crs=crs,
            limit=limit,
            after=after,
            before=before,
        ),
    )


def page_query(
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
) -> PageQuery:
    """A page of a collection's features, ordered by feature id, checked and put in SQL
    (InvalidParameter for what cannot be served), to be run by :func:`read_page`.

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
    counties = counties_of(filters)
    version, version_params = versions.version_query(source, counties)
    count_key = (
        source.id,
        tuple(bbox or ()),
        as_crs(bbox_crs, "bbox-crs").srid,
        datetime,
        tuple(sorted((filters or {}).items())),
    )
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
    feature = feature_text(source, output_crs)
    statement = sql.SQL(query("ogc/feature_page")).format(
        version=version,
        table=table,
        id_column=id_column,
        conditions=where,
        keyset=keyset,
        direction=direction,
        behind=behind,
        feature=feature,
    )
    return PageQuery(
        source=source,
        crs=output_crs,
        limit=limit,
        backwards=before is not None,
        statement=statement,
        params={**params, **version_params, "limit": limit},
        counties=counties,
        count_key=count_key,
    )


async def read_page(conn: AsyncConnection, page: PageQuery) -> FeaturePage:
    """Run a :func:`page_query`: the page's features and links' keys, its numberMatched
    (kept with the version it was counted at: counted again only after a change), and
    the version it was read at."""
    counted_tag, counted = _counts.get(page.count_key) or ("", 0)
    # Binary results: the features arrive as the bytes the client is sent, never decoded.
    cursor = await conn.execute(
        page.statement,
        {**page.params, "counted_tag": counted_tag, "counted": counted},
        binary=True,
    )
    row = await cursor.fetchone()
    assert row is not None  # the version's aggregate always returns one row
    (tag, changed_at, matched, returned, first_id, last_id, more_ahead, more_behind, features) = row
    _counts.put(page.count_key, tag, int(matched))
    if page.backwards:  # walked backwards, so what lies ahead is the previous page
        has_previous, has_next = more_ahead, more_behind
    else:
        has_previous, has_next = more_behind, more_ahead
    return FeaturePage(
        collection_id=page.source.id,
        number_matched=int(matched),
        number_returned=int(returned),
        limit=page.limit,
        crs=page.crs,
        first_id=first_id,
        last_id=last_id,
        has_previous=bool(has_previous),
        has_next=bool(has_next),
        features=features,
        version=versions.Version(tag, changed_at),
    )


def counties_of(filters: dict[str, str] | None) -> list[str] | None:
    """The counties a selection can serve rows of: the one a ``county_code`` filter
    names, else None (every county). The version of a page is taken over these."""
    county = (filters or {}).get("county_code")
    return [county] if county is not None else None


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
    return (await versioned_item(conn, collection_id, feature_id, crs=crs, links=links))[1]


async def versioned_item(
    conn: AsyncConnection,
    collection_id: str,
    feature_id: str,
    *,
    crs: Crs | str = CRS84,
    links: list[dict[str, str]] | None = None,
) -> tuple[str, str]:
    """The collection's version tag and one feature as GeoJSON text (see :func:`item`),
    read in the same snapshot."""
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
    version, version_params = versions.version_query(source)
    statement = sql.SQL(query("ogc/feature_by_id")).format(
        version=version,
        feature_id=_feature_id(source),
        geometry=_geometry(output_crs),
        properties=_properties(source),
        table=sql.Identifier(source.table),
        id_column=id_target,
        id_value=sql.Placeholder("feature_id"),
    )
    cursor = await conn.execute(
        statement, {**version_params, "feature_id": key, "links": json.dumps(links or [])}
    )
    row = await cursor.fetchone()
    if row is None or row[1] is None:
        raise NotFound(f"no feature {feature_id!r} in collection {source.id!r}")
    return str(row[0]), str(row[1])


async def count(
    conn: AsyncConnection,
    collection_id: str,
    *,
    bbox: tuple[float, ...] | list[float] | None = None,
    bbox_crs: Crs | str = CRS84,
    datetime: Interval | None = None,
    filters: dict[str, str] | None = None,
) -> int:
    """How many features match the same filters :func:`items` takes (counted afresh; a
    page's numberMatched is kept with the version it was counted at)."""
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
    state = await versions.collection_state(conn, source)
    return (await cached_extent(conn, source, state.tag))[1]


async def cached_extent(conn: AsyncConnection, source: Collection, tag: str) -> tuple[str, Extent]:
    """The extent of ``source`` at version ``tag`` when it is kept, else computed now; with
    the version it belongs to (newer than ``tag`` when the data changed meanwhile)."""
    kept = _extents.get(source.id)
    if kept is not None and kept[0] == tag:
        return kept
    temporal = (
        sql.Identifier(source.temporal_column)
        if source.temporal_column
        else sql.SQL("NULL::timestamptz")
    )
    version, version_params = versions.version_query(source)
    statement = sql.SQL(query("ogc/collection_extent")).format(
        version=version, table=sql.Identifier(source.table), temporal_column=temporal
    )
    cursor = await conn.execute(statement, version_params)
    row = await cursor.fetchone()
    assert row is not None
    computed_tag, min_x, min_y, max_x, max_y, first_instant, last_instant = row
    bbox = None if min_x is None else (float(min_x), float(min_y), float(max_x), float(max_y))
    found = Extent(bbox=bbox, first_instant=first_instant, last_instant=last_instant)
    _extents.put(source.id, computed_tag, found)
    return computed_tag, found
