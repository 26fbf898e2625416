"""Intake 信息收集: a report becomes an event, placed, filed and dispatched in one
transaction.

:func:`parse_feature` reads a GeoJSON Feature (what ``POST /api/v1/events`` takes) into
a :class:`Report`; Open311, the hotline import and notebooks build a :class:`Report`
directly. :func:`create` finds the location (the Point, else the first photo's EXIF GPS,
else a place named in the address: compound, community, subdistrict), then hands the
rest to the database function ``intake_event`` (gis/events/sql/functions/intake_event.sql)
in one statement, which

1. claims the Idempotency-Key, answering a repetition with the first answer;
2. resolves the category (code or Chinese name);
3. places the point in its grid, community and subdistrict;
4. looks for a likely duplicate (same category, 50 m, 72 h: held for staff) and otherwise
   for the most specific dispatch rule, with its deadline;
5. inserts the event once, in that final state (filed or dispatched), with a public
   tracking number, its photos and its ``report``, ``file`` and ``dispatch`` steps;
6. keeps the answer under the Idempotency-Key.

One statement instead of some fifteen round trips, and no row updated within the
request: this is what lets 50 clients report 500 events a second on two cores
(bench/bench_ingest.py). The answer is committed before it is returned. It is the event
as the public sees it (no personal data) plus ``reporter_key``: the secret that lets the
reporter rate the result. It is derived, an HMAC of the event under the server's secret
(sql/functions/event_reporter_key.sql): the event keeps only its SHA-256, and the answer
kept under an Idempotency-Key is kept without it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from psycopg import AsyncConnection

from gis.events import duplicates, idempotency
from gis.events.errors import IdempotencyKeyReused, InvalidEvent, NotAllowed
from gis.events.photos import MAX_PHOTOS, Photo
from gis.events.stages import CENTRES, OPEN, STATUSES, Actor, allowed_actions
from gis.sql import query

SOURCES = ("qr", "grid_member", "hotline_12345", "open311", "patrol", "video")
# Which channels each caller may report through; the first is the default.
SOURCES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "public": ("qr",),
    "grid_member": ("grid_member", "patrol"),
    "open311": ("open311",),
    "staff": SOURCES,
    "admin": SOURCES,
    "system": SOURCES,
}
PROPERTIES = ("category", "description", "source", "reporter_name", "reporter_phone", "address")
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 200
MAX_NAME = 50
MAX_PHONE = 30
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,24}$")
# What may be done next from each stage, for the answer's properties.allowed_actions;
# JSON text made once (the database casts it), not dumped again for every report.
_ALLOWED_ACTIONS = json.dumps({status: allowed_actions(status) for status in STATUSES})


@dataclass(frozen=True)
class Report:
    """A report as received. ``point`` is (longitude, latitude) in WGS84 degrees."""

    category: str
    description: str
    source: str | None = None
    point: tuple[float, float] | None = None
    address: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    photos: tuple[Photo, ...] = field(default=())

    def fingerprint(self) -> str:
        """SHA-256 of what the report says, photos by their hashes: equal for the same
        report however its JSON was spelt."""
        content = {
            "category": self.category,
            "description": self.description,
            "source": self.source,
            "point": list(self.point) if self.point else None,
            "address": self.address,
            "reporter_name": self.reporter_name,
            "reporter_phone": self.reporter_phone,
            "photos": [p.sha256 for p in self.photos],
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """The answer to a report: ``replayed`` when it repeats an earlier Idempotency-Key.
    ``body`` is the JSON text the database built; ``response`` the same, parsed."""

    event_id: int
    status_code: int
    body: str
    replayed: bool

    @cached_property
    def response(self) -> dict[str, Any]:
        """The response body as parsed JSON."""
        answer: dict[str, Any] = json.loads(self.body)
        return answer


def parse_feature(body: bytes | str, *, photos: tuple[Photo, ...] = ()) -> Report:
    """A Report from a GeoJSON Feature's text; InvalidEvent (422) naming the member."""
    try:
        feature = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidEvent("body", f"malformed JSON: {error}") from None
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidEvent("body", 'expected a GeoJSON Feature ({"type": "Feature", ...})')
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise InvalidEvent("properties", "expected an object with category and description")
    unknown = sorted(set(properties) - set(PROPERTIES))
    if unknown:
        raise InvalidEvent(
            "properties",
            f"unknown {', '.join(unknown)}; a report has {', '.join(PROPERTIES)}",
            allowed=list(PROPERTIES),
        )
    category = properties.get("category")
    if not isinstance(category, str):
        raise InvalidEvent("category", "required: a category code (e.g. 0901) or its name")
    source = properties.get("source")
    if source is not None and not isinstance(source, str):
        raise InvalidEvent("source", f"must be one of {', '.join(SOURCES)}, not {source!r}")
    return check_report(
        Report(
            category=category.strip(),
            description=_text(properties, "description"),
            source=source,
            point=_point(feature.get("geometry")),
            address=_text(properties, "address") or None,
            reporter_name=_text(properties, "reporter_name") or None,
            reporter_phone=_text(properties, "reporter_phone") or None,
            photos=photos,
        )
    )


def check_report(report: Report) -> Report:
    """The report itself when every member is acceptable; InvalidEvent naming the first
    that is not. :func:`create` checks reports built in Python (Open311, imports) too."""
    if not report.category:
        raise InvalidEvent("category", "required: a category code (e.g. 0901) or its name")
    if not report.description.strip():
        raise InvalidEvent("description", "required: say what is wrong")
    limits = {
        "description": (report.description, MAX_DESCRIPTION),
        "address": (report.address, MAX_ADDRESS),
        "reporter_name": (report.reporter_name, MAX_NAME),
        "reporter_phone": (report.reporter_phone, MAX_PHONE),
        "category": (report.category, MAX_NAME),
    }
    for name, (value, limit) in limits.items():
        if value is None:
            continue
        if "\x00" in value:
            raise InvalidEvent(name, "contains a NUL character")
        if len(value) > limit:
            raise InvalidEvent(name, f"{len(value)} characters; at most {limit}")
    if report.reporter_phone and not _PHONE.fullmatch(report.reporter_phone):
        raise InvalidEvent("reporter_phone", "expected a phone number (digits, spaces, -, +)")
    if report.source is not None and report.source not in SOURCES:
        raise InvalidEvent("source", f"must be one of {', '.join(SOURCES)}, not {report.source!r}")
    if report.point is not None:
        lon, lat = report.point
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            raise InvalidEvent("geometry", f"({lon}, {lat}) is not a longitude/latitude in degrees")
    if len(report.photos) > MAX_PHOTOS:
        raise InvalidEvent("photo", f"{len(report.photos)} photos; at most {MAX_PHOTOS}")
    return report


def _text(properties: dict[str, Any], name: str) -> str:
    value = properties.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidEvent(name, f"expected a string, not {type(value).__name__}")
    return value.strip()


def _point(geometry: Any) -> tuple[float, float] | None:
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise InvalidEvent("geometry", "expected a GeoJSON Point (or null with a photo/address)")
    coordinates = geometry.get("coordinates")
    if (
        not isinstance(coordinates, list)
        or len(coordinates) not in (2, 3)
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
        or not all(math.isfinite(c) for c in coordinates)
    ):
        raise InvalidEvent("geometry", "a Point needs [longitude, latitude] in degrees")
    return float(coordinates[0]), float(coordinates[1])


def _source_for(report: Report, actor: Actor) -> str:
    allowed = SOURCES_BY_ROLE.get(actor.role)
    if allowed is None:
        raise NotAllowed(f"a {actor.role} token cannot report events")
    if report.source is None:
        if actor.role in ("staff", "admin", "system"):
            raise InvalidEvent("source", f"required from staff: one of {', '.join(SOURCES)}")
        return allowed[0]
    if report.source not in allowed:
        who = "a report without a token" if actor.role == "public" else f"a {actor.role} token"
        raise NotAllowed(f"source {report.source!r} is not open to {who}; use {allowed[0]!r}")
    return report.source


async def create(
    conn: AsyncConnection,
    report: Report,
    *,
    actor: Actor,
    idempotency_key: str | None = None,
    reported_at: datetime | None = None,
    reporter_secret: bytes | None = None,
) -> Created:
    """Store a report as an event, filed and dispatched, in one statement.

    Parameters
    ----------
    conn : an async psycopg connection. In autocommit mode the one statement is its own
        transaction, committed on return; otherwise it runs in a transaction block
        (a savepoint inside the caller's transaction), committed or released on return.
    report : what was reported (see :func:`parse_feature`).
    actor : who reports: the public (QR, no token), a token holder, or the system (bulk
        imports). The role decides the channels open to it (``SOURCES_BY_ROLE``).
    idempotency_key : a repeated key answers with the first answer and creates nothing.
    reported_at : when it was reported (bulk imports of past records); default now.
        Deadlines count from it.
    reporter_secret : the server's secret reporter keys are derived from; None: this
        database instance's own.

    Raises
    ------
    InvalidEvent (422): unknown category (the valid ones listed), no location, a point
    outside the district, a key reused for another request. NotAllowed (403): a channel
    or county the caller may not report for.
    """
    source = _source_for(check_report(report), actor)
    if idempotency_key is not None:
        idempotency.check_key(idempotency_key)
    lon, lat, location_source, where = await _locate(conn, report)
    fingerprint = report.fingerprint()
    photos = report.photos
    parameters = {
        "category": report.category,
        "description": report.description,
        "source": source,
        "lon": lon,
        "lat": lat,
        "location_source": location_source,
        "reported_at": reported_at,
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "reporter_secret": reporter_secret,
        "address": report.address,
        "actor": actor.name,
        "actor_role": actor.role,
        "token_id": actor.token_id,
        "actor_county": actor.county_code,
        "idempotency_scope": idempotency.scope_of(actor, fingerprint),
        "idempotency_key": idempotency_key,
        "request_sha256": fingerprint,
        "duplicate_metres": duplicates.RADIUS_M,
        "duplicate_hours": duplicates.WINDOW_H,
        "open_statuses": list(OPEN),
        "centres": list(CENTRES),
        "allowed_actions": _ALLOWED_ACTIONS,
        # NULL rather than empty arrays: most reports have no photo.
        "photo_types": [photo.content_type for photo in photos] or None,
        "photo_contents": [photo.content for photo in photos] or None,
        "photo_sha256": [photo.sha256 for photo in photos] or None,
        "photo_widths": [photo.width for photo in photos] or None,
        "photo_heights": [photo.height for photo in photos] or None,
        "photo_lons": [photo.gps[0] if photo.gps else None for photo in photos] or None,
        "photo_lats": [photo.gps[1] if photo.gps else None for photo in photos] or None,
    }
    if conn.autocommit:
        row = await _intake(conn, parameters)
    else:
        async with conn.transaction():
            row = await _intake(conn, parameters)
    outcome, event_id, status_code, body = row
    if outcome in ("created", "replayed"):
        return Created(int(event_id), int(status_code), body, outcome == "replayed")
    if outcome == "key_reused":
        raise IdempotencyKeyReused(str(idempotency_key))
    if outcome == "unknown_category":
        raise await _unknown_category(conn, report.category)
    if outcome == "outside":
        raise InvalidEvent(where, await _outside(conn, lon, lat, location_source))
    if outcome == "wrong_county":
        raise NotAllowed(f"the point lies in county {body}; the token is for {actor.county_code}")
    raise AssertionError(f"intake_event answered {outcome!r}")


async def _intake(conn: AsyncConnection, parameters: dict[str, Any]) -> tuple[Any, ...]:
    cursor = await conn.execute(query("events/intake"), parameters)
    row = await cursor.fetchone()
    assert row is not None, "intake_event returns one row"
    return tuple(row)


async def category_list(conn: AsyncConnection) -> list[dict[str, str | None]]:
    """Every category: code, name, English name and class (parent) code."""
    cursor = await conn.execute(
        "SELECT category_code, name, name_en, parent_code FROM event_categories"
        " ORDER BY category_code"
    )
    return [
        {"code": code, "name": name, "name_en": name_en, "class_code": parent}
        for code, name, name_en, parent in await cursor.fetchall()
    ]


async def _unknown_category(conn: AsyncConnection, given: str) -> InvalidEvent:
    """The 422 for a category that is neither a code nor a name, listing the valid ones."""
    known = await category_list(conn)
    listing = ", ".join(f"{c['code']} {c['name']}" for c in known)
    return InvalidEvent(
        "category",
        f"unknown category {given!r}; valid: {listing}",
        valid_categories=[{"code": c["code"], "name": c["name"]} for c in known],
    )


async def _locate(conn: AsyncConnection, report: Report) -> tuple[float, float, str, str]:
    """(lon, lat, location_source, the member it came from) or InvalidEvent."""
    if report.point is not None:
        return report.point[0], report.point[1], "point", "geometry"
    for photo in report.photos:
        if photo.gps is not None:
            return photo.gps[0], photo.gps[1], "photo", f"photo {photo.name!r}"
    if report.address:
        place = await _geocode(conn, report.address)
        if place is not None:
            return place[0], place[1], "address", "address"
        raise InvalidEvent(
            "address",
            f"{report.address!r} names no subdistrict, community or compound of the district"
            " unambiguously; send a point or a photo with GPS",
        )
    raise InvalidEvent(
        "geometry",
        "no location: send a Point geometry, a photo with GPS, or an address in the district",
    )


async def _geocode(conn: AsyncConnection, address: str) -> tuple[float, float] | None:
    """The point of the most specific place the address names unambiguously."""
    cursor = await conn.execute(query("events/geocode"), {"address": address})
    hits = await cursor.fetchall()
    levels = ("subdistrict", "community", "compound")
    by_level: dict[str, list[tuple[Any, ...]]] = {level: [] for level in levels}
    for hit in hits:
        by_level[hit[0]].append(hit)
    chosen: tuple[Any, ...] | None = None
    for level in levels:
        # Keep the places inside the one chosen at the level above, then the longest
        # name; two different places with that name are ambiguous: stop there.
        candidates = [
            hit
            for hit in by_level[level]
            if chosen is None
            or (hit[3] == chosen[3] and (chosen[0] == "subdistrict" or hit[4] == chosen[4]))
        ]
        if not candidates:
            continue
        longest = max(len(hit[2]) for hit in candidates)
        best = [hit for hit in candidates if len(hit[2]) == longest]
        if len(best) > 1:
            break
        chosen = best[0]
    return None if chosen is None else (float(chosen[5]), float(chosen[6]))


async def _outside(conn: AsyncConnection, lon: float, lat: float, source: str) -> str:
    cursor = await conn.execute(
        "SELECT string_agg(name || ' (' || county_code || ')', ', ' ORDER BY county_code)"
        " FROM districts"
    )
    row = await cursor.fetchone()
    districts = row[0] if row and row[0] else "none is loaded"
    origin = {"point": "the point", "photo": "the photo's GPS position", "address": "the address"}
    return (
        f"{origin[source]} ({lon:.6f}, {lat:.6f}) lies outside the district; "
        f"reports are taken in: {districts}"
    )
