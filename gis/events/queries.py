"""Reading events: one event with its history, pages of events, a photo.

PostGIS builds the GeoJSON (gis/events/sql/feature.sql). The public view never carries
personal data: the reporter's name, phone and address and the names of the people who
acted are added only when ``private`` is true, which the HTTP edge grants to staff, to
the grid member of the event's grid and to the handler of its department
(:meth:`EventScope.private_to`). Otherwise the point is coarsened to its 50 m cell,
phone and ID numbers in the text are masked (gis/events/sql/functions/event_anonymise.sql),
only notes written for the public are shown, and events of categories the public may not
see (care visits, family disputes: ``event_categories.public``) or hidden by a moderator
are not found at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql

from gis.errors import InvalidParameter, NotFound
from gis.events.stages import CENTRES, STATUSES, allowed_actions
from gis.sql import query
from gis.tokens import Caller

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_TRACKING = re.compile(r"^SJ[0-9]{8,20}$")
_SOURCES = ("qr", "grid_member", "hotline_12345", "open311", "patrol", "video")


@dataclass(frozen=True)
class EventSelection:
    """What a page of events is filtered by; every member optional. ``category`` codes
    of a class match its subclasses; ``bbox`` is (min lon, min lat, max lon, max lat)."""

    status: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    grid_code: str | None = None
    community_code: str | None = None
    subdistrict_code: str | None = None
    department: str | None = None
    overdue: bool | None = None
    escalation_level: int | None = None
    duplicate_of: int | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None


async def resolve(conn: AsyncConnection, ref: int | str) -> int:
    """The event id for an id or a public tracking number; NotFound otherwise."""
    text = str(ref).strip()
    if text.isdigit():
        cursor = await conn.execute("SELECT event_id FROM events WHERE event_id = %s", (int(text),))
    elif _TRACKING.fullmatch(text):
        cursor = await conn.execute(
            "SELECT event_id FROM events WHERE tracking_number = %s", (text,)
        )
    else:
        raise NotFound(f"no event {text!r}: give an event id or a tracking number (SJ…)")
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no event {text!r}")
    return int(row[0])


async def detail(
    conn: AsyncConnection,
    ref: int | str,
    *,
    private: bool,
    with_history: bool = True,
    public_only: bool | None = None,
) -> dict[str, Any]:
    """One event as a GeoJSON Feature; ``properties.history`` lists every step, oldest
    first, and ``properties.allowed_actions`` what may be done next (any role).

    ``public_only`` (default: not ``private``): NotFound for an event of a category the
    public may not see. The reporter who has just acted on their own report is answered
    with the public view of it even so (``private=False, public_only=False``)."""
    event_id = await resolve(conn, ref)
    hidden = (not private) if public_only is None else public_only
    cursor = await conn.execute(
        query("events/feature")
        + " WHERE e.event_id = %(event_id)s"
        + (" AND event_public(e.category_code, e.hidden_at)" if hidden else ""),
        _feature_parameters(private, with_history) | {"event_id": event_id},
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no event {ref!r}")
    feature: dict[str, Any] = row[0]
    feature["properties"]["allowed_actions"] = allowed_actions(feature["properties"]["status"])
    return feature


def _feature_parameters(private: bool, with_history: bool) -> dict[str, Any]:
    return {"private": private, "with_history": with_history, "centres": list(CENTRES)}


def where_clause(selection: EventSelection) -> tuple[sql.Composable, dict[str, Any]]:
    """The WHERE (on ``e``, the events) and its parameters for ``selection``: the public
    view, as a listing and the cells filter. InvalidParameter for a bad member."""
    for status in selection.status:
        if status not in STATUSES:
            raise InvalidParameter("status", f"unknown {status!r}; one of {', '.join(STATUSES)}")
    for source in selection.source:
        if source not in _SOURCES:
            raise InvalidParameter("source", f"unknown {source!r}; one of {', '.join(_SOURCES)}")
    for code in selection.category:
        if not re.fullmatch(r"[0-9]{2}([0-9]{2})?", code):
            raise InvalidParameter("category", f"{code!r} is not a 2- or 4-digit category code")
    clauses: list[sql.Composable] = []
    params: dict[str, Any] = {}

    def add(clause: str, **values: Any) -> None:
        clauses.append(sql.SQL(clause))
        params.update(values)

    if selection.status:
        add("e.status = ANY(%(status)s)", status=list(selection.status))
    if selection.category:
        add(
            "EXISTS (SELECT FROM unnest(%(category)s::text[]) AS c"
            " WHERE e.category_code LIKE c || '%%')",
            category=list(selection.category),
        )
    if selection.source:
        add("e.source = ANY(%(source)s)", source=list(selection.source))
    for level in ("grid_code", "community_code", "subdistrict_code"):
        value = getattr(selection, level)
        if value is not None:
            # char(n) = bpchar compares without trailing blanks and keeps the index usable.
            add(f"e.{level} = %({level})s::bpchar", **{level: value})
    if selection.department is not None:
        add(
            "e.department_id IN (SELECT department_id FROM departments"
            " WHERE department_code = %(department)s)",
            department=selection.department,
        )
    if selection.overdue is not None:
        add("e.overdue = %(overdue)s", overdue=selection.overdue)
    if selection.escalation_level is not None:
        add("e.escalation_level = %(level)s", level=selection.escalation_level)
    if selection.duplicate_of is not None:
        add("e.duplicate_of = %(duplicate_of)s", duplicate_of=selection.duplicate_of)
    if selection.reported_after is not None:
        add("e.reported_at >= %(after)s", after=selection.reported_after)
    if selection.reported_before is not None:
        add("e.reported_at < %(before)s", before=selection.reported_before)
    if selection.bbox is not None:
        minx, miny, maxx, maxy = selection.bbox
        if not (minx <= maxx and miny <= maxy):
            raise InvalidParameter("bbox", "expected min lon, min lat, max lon, max lat")
        # The public point is what is matched, or small boxes would find the exact one.
        # The index narrows first to the box grown by more than a cell's half-diagonal
        # (under 0.0004°), built in the column's SRID so the GiST index serves it.
        add(
            "e.geom && ST_Expand(ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s,"
            " 4326), 0.001) AND event_public_point(e.geom)"
            " && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)",
            minx=minx,
            miny=miny,
            maxx=maxx,
            maxy=maxy,
        )
    # a listing is public: categories the public may not see are left out. This is
    # event_public(e.category_code, e.hidden_at) written out: as a join the planner hashes
    # the public categories once, where the function is called for every event (a city's
    # year of events: 360 → 130 ms a count).
    add(
        "e.hidden_at IS NULL"
        " AND e.category_code IN (SELECT category_code FROM event_categories WHERE public)"
    )
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
    return where, params


async def listing(
    conn: AsyncConnection,
    selection: EventSelection | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> dict[str, Any]:
    """A page of events, newest report first, as a GeoJSON FeatureCollection with
    ``numberMatched`` and ``numberReturned``. The public view, without history: only
    categories the public may see."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be 1–{MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise InvalidParameter("offset", f"must be 0 or more, not {offset}")
    where, params = where_clause(selection or EventSelection())
    count = await conn.execute(
        sql.SQL("SELECT count(*) FROM events AS e") + where,
        params,
    )
    matched = (await count.fetchone() or (0,))[0]
    page = await conn.execute(
        sql.SQL(query("events/feature"))
        + where
        + sql.SQL(" ORDER BY e.reported_at DESC, e.event_id DESC")
        + sql.SQL(" LIMIT %(limit)s OFFSET %(offset)s"),
        params | _feature_parameters(False, False) | {"limit": limit, "offset": offset},
    )
    features = [row[0] for row in await page.fetchall()]
    return {
        "type": "FeatureCollection",
        "numberMatched": int(matched),
        "numberReturned": len(features),
        "features": features,
    }


async def photo(conn: AsyncConnection, event_id: int, position: int) -> tuple[str, bytes]:
    """(content type, bytes) of an event's photo 1–3; NotFound when there is none."""
    cursor = await conn.execute(
        "SELECT content_type, content FROM event_photos WHERE event_id = %s AND position = %s",
        (event_id, position),
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"event {event_id} has no photo {position}")
    return row[0], bytes(row[1])


@dataclass(frozen=True)
class EventScope:
    """Where an event is and whose it is, for access checks: county, grid, the department
    it was dispatched to, and whether it holds a reporter's contact."""

    event_id: int
    tracking_number: str
    county_code: str
    grid_code: str | None
    department_id: int | None
    has_contact: bool

    def private_to(self, caller: Caller | None) -> bool:
        """Whether ``caller`` sees the reporter's contact and who acted: staff of the
        county, the member of the event's grid, the handler of the department it was
        dispatched to."""
        if caller is None or caller.county_code != self.county_code:
            return False
        if caller.role in ("admin", "staff"):
            return True
        if caller.role == "grid_member":
            return self.grid_code is not None and self.grid_code in caller.grids
        if caller.role == "department":
            return self.department_id is not None and self.department_id == caller.department_id
        return False


async def scope_of(conn: AsyncConnection, event_id: int) -> EventScope:
    """The event's :class:`EventScope`."""
    cursor = await conn.execute(
        "SELECT event_id, tracking_number, rtrim(county_code), rtrim(grid_code), department_id,"
        " coalesce(reporter_name, reporter_phone, address) IS NOT NULL"
        " FROM events WHERE event_id = %s",
        (event_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"no event {event_id}")
    return EventScope(*row)
