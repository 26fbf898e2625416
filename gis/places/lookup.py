"""Places by code and by name: the lookup and search behind "one code" (一套编码).

Every place from the county down to a building's unit (单元) is named by one code
(:mod:`gis.codes`); :func:`unit` turns any code into the place it names, and
:func:`search` finds places by a code prefix or a piece of their Chinese name::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        street = await places.unit(conn, "450105001")
        hits = await places.search(conn, "福建园", levels=["community"])

Units are not stored: a unit code names a stairwell of a stored building, valid while its
number is within the building's ``units``. Compounds (小区) have no code in the scheme: the
search finds them by name or by their id (the one ``/places/compounds/{id}`` takes), ranked
between grids and buildings. PostGIS builds the GeoJSON and the boxes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql

from gis import codes
from gis.codes import Level
from gis.crs import CRS84
from gis.errors import InvalidParameter, NotFound
from gis.sql import query

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 50
# Compounds are searched beside the coded levels; a result's "code" is then the compound's id.
COMPOUND = "compound"
# What the search finds, in the order results are ranked, county first. A compound sits in
# a community beside its grids and holds buildings.
SEARCH_LEVELS: tuple[str, ...] = (
    Level.COUNTY,
    Level.TOWNSHIP,
    Level.COMMUNITY,
    Level.GRID,
    COMPOUND,
    Level.BUILDING,
    Level.UNIT,
)
LEVEL_RANK = {level: rank for rank, level in enumerate(SEARCH_LEVELS)}
# The largest compound id a query is compared with (bigint).
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class _Source:
    """Where a level's places are stored and which of their columns are properties."""

    table: str
    code_column: str
    # (property name, SQL over the row aliased ``place``) after code, level and name
    attributes: tuple[tuple[str, str], ...] = ()
    name: str = "place.name"
    joins: str = ""


_BUILDING_ATTRIBUTES = (
    ("building_use", "place.building_use"),
    ("floors", "place.floors"),
    ("units", "place.units"),
    ("households", "place.households"),
    ("population", "place.population"),
    (
        "compound",
        "CASE WHEN compound.compound_id IS NULL THEN NULL ELSE json_build_object("
        "'id', compound.compound_id, 'name', compound.name, 'type', compound.compound_type) END",
    ),
)
_COMPOUND_JOIN = "LEFT JOIN compounds AS compound ON compound.compound_id = place.compound_id"

SOURCES: dict[Level, _Source] = {
    Level.COUNTY: _Source("districts", "county_code"),
    Level.TOWNSHIP: _Source("subdistricts", "subdistrict_code", (("kind", "place.kind"),)),
    Level.COMMUNITY: _Source("communities", "community_code", (("kind", "place.kind"),)),
    Level.GRID: _Source(
        "grids",
        "grid_code",
        (
            ("grid_type", "place.grid_type"),
            ("dedicated_kind", "place.dedicated_kind"),
            ("leaders", "place.leaders"),
            ("instructors", "place.instructors"),
            ("members", "place.members"),
        ),
    ),
    Level.BUILDING: _Source(
        "buildings", "building_code", _BUILDING_ATTRIBUTES, joins=_COMPOUND_JOIN
    ),
    # A unit is its building's geometry and a stairwell number.
    Level.UNIT: _Source(
        "buildings",
        "building_code",
        (
            ("unit", "%(unit)s::int"),
            ("building_code", "place.building_code::text"),
            ("floors", "place.floors"),
        ),
        name="%(unit)s::int || '单元'",
    ),
}


def _ancestors(code: sql.Composable) -> sql.Composable:
    return sql.SQL(query("places/ancestors")).format(code=code)


async def unit(conn: AsyncConnection, code: str) -> dict[str, Any]:
    """The place a code names, at any level, as a GeoJSON Feature.

    Parameters
    ----------
    code
        A county (6 digits), township (9), community (12), grid (15, or a legacy 14-digit
        grid code), building (17) or unit (19) code.

    Returns
    -------
    A Feature (dict) in CRS84 with ``id`` and ``properties.code`` the normalised code, and
    properties ``level``, ``name``, the level's own attributes (``kind``; ``grid_type``,
    ``dedicated_kind`` and team sizes; ``floors``, ``units``, ``households``,
    ``population``, ``compound``; a unit's ``unit`` number) and ``parents``: the
    ancestors from the county down, each ``{code, level, name}``. A unit's geometry is
    its building's.

    Raises
    ------
    InvalidCode
        The code is malformed.
    NotFound
        No place has this code (for a unit: no such building, or the building has fewer
        units).
    """
    parsed = codes.parse(code)
    source = SOURCES[parsed.level]
    is_unit = parsed.level is Level.UNIT
    key = parsed.value[: codes.LENGTHS[Level.BUILDING]] if is_unit else parsed.value
    pairs: list[tuple[str, sql.Composable]] = [
        ("code", sql.SQL("%(code)s::text")),
        ("level", sql.SQL("%(level)s::text")),
        ("name", sql.SQL(source.name)),
        *((name, sql.SQL(expression)) for name, expression in source.attributes),
        ("parents", _parents_json(sql.SQL("%(code)s::text"))),
    ]
    properties = sql.SQL("json_build_object({})").format(
        sql.SQL(", ").join(
            sql.SQL("{}, {}").format(sql.Literal(name), value) for name, value in pairs
        )
    )
    statement = sql.SQL(query("places/feature")).format(
        properties=properties,
        unit_count=sql.SQL("place.units" if is_unit else "NULL::int"),
        table=sql.Identifier(source.table),
        joins=sql.SQL(source.joins),
        code_column=sql.Identifier(source.code_column),
    )
    params = {
        "code": parsed.value,
        "level": parsed.level.value,
        "key": key,
        "unit": parsed.serial if is_unit else None,
        "decimals": CRS84.decimals,
    }
    cursor = await conn.execute(statement, params)
    row = await cursor.fetchone()
    if row is None:
        if is_unit:
            raise NotFound(f"no unit {parsed.value}: there is no building {key}")
        raise NotFound(f"no {parsed.level} with code {parsed.value}")
    feature, unit_count = row
    if is_unit and not 1 <= (parsed.serial or 0) <= unit_count:
        numbered = f"numbered 01–{unit_count:02d}" if unit_count else "none"
        raise NotFound(
            f"no unit {parsed.value}: building {key} has {unit_count} unit(s), {numbered}"
        )
    return dict(feature)


def _parents_json(code: sql.Composable) -> sql.Composable:
    return sql.SQL(
        "(SELECT coalesce(json_agg(json_build_object('code', a.code, 'level', a.level, "
        "'name', a.name) ORDER BY length(a.code)), '[]'::json) "
        "FROM ({}) AS a (code, level, name))"
    ).format(_ancestors(code))


def _levels(levels: Iterable[str | Level] | None) -> list[str]:
    if levels is None:
        return list(SEARCH_LEVELS)
    chosen: list[str] = []
    for name in levels:
        level = next((known for known in SEARCH_LEVELS if known == name), None)
        if level is None:
            known = ", ".join(SEARCH_LEVELS)
            raise InvalidParameter("level", f"unknown level {name!r}; use {known}")
        if level not in chosen:
            chosen.append(level)
    if not chosen:
        raise InvalidParameter("level", "name at least one level")
    return chosen


def _escape_like(text: str) -> str:
    """``text`` matched literally by LIKE/ILIKE (whose escape character is backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    conn: AsyncConnection,
    q: str,
    *,
    levels: Iterable[str | Level] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Places whose code starts with ``q`` or whose name contains it, best first; compounds
    whose id is ``q`` or whose name contains it.

    Parameters
    ----------
    q
        Digits are matched as a code prefix (a legacy 14-digit grid code also finds its
        15-digit grid) and as part of a name; anything else only as part of a name
        (case-insensitive, ``%`` and ``_`` taken literally). 1–50 characters.
    levels
        Levels to search (``county``, ``township``, ``community``, ``grid``, ``compound``,
        ``building``, ``unit``); all when None. Units are found only by their full 19-digit
        code, as they have no rows of their own.
    limit
        At most this many results, 1–100.

    Returns
    -------
    Results ordered exact code, id or name first, then prefix, then substring matches;
    then by level (county → grid, compound, building → unit) and code. Each is ``{code,
    level, name, path, bbox}``: a compound's ``code`` is its id; ``path`` is the ancestors'
    names from the county down joined by " › " (a compound's end with its community),
    ``bbox`` ``[min_lon, min_lat, max_lon, max_lat]`` in degrees (CRS84).

    Raises
    ------
    InvalidParameter
        ``q`` empty, too long or with a NUL character; ``limit`` or ``levels`` invalid.
    """
    built = _search_query(q, levels=levels, limit=limit)
    if built is None:
        return []
    statement, params = built
    cursor = await conn.execute(statement, params)
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always returns one row
    return list(row[0])


def _search_query(
    q: str, *, levels: Iterable[str | Level] | None, limit: int
) -> tuple[sql.Composed, dict[str, Any]] | None:
    """The search's SQL and parameters (None when no level searched can match)."""
    q = q.strip()
    if not q:
        raise InvalidParameter("q", "must not be empty")
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter("q", f"at most {MAX_QUERY_LENGTH} characters, got {len(q)}")
    if "\x00" in q:
        raise InvalidParameter("q", "contains a NUL character")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be 1–{MAX_LIMIT}, got {limit}")
    chosen = _levels(levels)
    is_code = q.isdigit() and q.isascii()
    exact_code = codes.normalise(q) if is_code else q
    escaped = _escape_like(q)
    params: dict[str, Any] = {
        "q": q,
        "exact_code": exact_code,
        "name_prefix": escaped + "%",
        "name_pattern": "%" + escaped + "%",
        # Codes are all digits, so "starts with q" is the range q … q99…9, which the
        # primary keys serve whatever the collation (LIKE 'q%' would need "C").
        "code_low": q,
        "code_high": q + "9" * (codes.LENGTHS[Level.UNIT] - len(q)),
        "limit": limit,
        # a compound's id, when the query can be one
        "compound_id": int(q) if is_code and 1 <= int(q) <= _MAX_ID else None,
    }
    matches = [
        select
        for level in chosen
        for select in _matches(level, is_code=is_code, exact_code=exact_code, q=q, params=params)
    ]
    if not matches:
        return None
    statement = sql.SQL(query("places/search")).format(
        matches=sql.SQL(" UNION ALL ").join(matches),
        ancestors=_ancestors(sql.SQL("top.parent")),
    )
    return statement, params


def _matches(
    level: str, *, is_code: bool, exact_code: str, q: str, params: dict[str, Any]
) -> list[sql.Composable]:
    """The selects of ``level``'s places matching the query: by code range (or a compound's
    id), by name."""
    if level == COMPOUND:
        return [_compound_match(params)]
    source = SOURCES[Level(level)]
    column = sql.Identifier(source.code_column)

    def select(condition: sql.Composable, order: sql.Composable, table: str) -> sql.Composable:
        return sql.SQL(query("places/match")).format(
            code=sql.SQL("{}::text").format(column),
            parent=sql.SQL("{}::text").format(column),
            code_exact=sql.SQL("{}::text = %(exact_code)s").format(column),
            code_prefix=sql.SQL("starts_with({}::text, %(q)s)").format(column),
            level=sql.Literal(level),
            level_rank=sql.Literal(LEVEL_RANK[level]),
            table=sql.Identifier(table),
            condition=condition,
            order=order,
        )

    if level is Level.UNIT:
        # No rows of their own: only the full code of an existing unit matches.
        try:
            parsed = codes.parse(q, expect=Level.UNIT)
        except codes.InvalidCode:
            return []
        params["unit"] = parsed.serial
        params["unit_building"] = parsed.value[: codes.LENGTHS[Level.BUILDING]]
        unit_select = sql.SQL(
            "(SELECT %(q)s::text AS code, {level}::text AS level, {rank} AS level_rank, "
            "%(unit)s::int || '单元' AS name, geom, 0 AS match_rank, %(q)s::text AS parent "
            "FROM buildings "
            "WHERE building_code = %(unit_building)s::bpchar AND %(unit)s::int <= units)"
        )
        return [unit_select.format(level=sql.Literal(level), rank=sql.Literal(LEVEL_RANK[level]))]
    by_name: sql.Composable = sql.SQL("name ILIKE %(name_pattern)s")
    if is_code and exact_code != q and len(exact_code) == codes.LENGTHS[Level(level)]:
        # the 15-digit form of a legacy 14-digit grid code
        by_name = sql.SQL("{} OR {} = %(exact_code)s::bpchar").format(by_name, column)
    selects = [select(by_name, sql.SQL("match_rank, {}").format(column), source.table)]
    if is_code:
        by_code = sql.SQL("{} BETWEEN %(code_low)s::bpchar AND %(code_high)s::bpchar")
        selects.append(select(by_code.format(column), column, source.table))
    return selects


def _compound_match(params: dict[str, Any]) -> sql.Composable:
    """The select of compounds named like the query or whose id it is. Their path is their
    community's (``parent``), which search.sql completes with the community itself."""
    condition: sql.Composable = sql.SQL("name ILIKE %(name_pattern)s")
    if params["compound_id"] is not None:
        condition = sql.SQL("{} OR compound_id = %(compound_id)s::bigint").format(condition)
    return sql.SQL(query("places/match")).format(
        code=sql.SQL("compound_id::text"),
        parent=sql.SQL("community_code::text"),
        code_exact=sql.SQL("compound_id = %(compound_id)s::bigint"),
        # ids are not codes: no prefix of one names anything
        code_prefix=sql.SQL("false"),
        level=sql.Literal(COMPOUND),
        level_rank=sql.Literal(LEVEL_RANK[COMPOUND]),
        table=sql.Identifier("compounds"),
        condition=condition,
        order=sql.SQL("match_rank, compound_id"),
    )
