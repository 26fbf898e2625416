"""Open311 GeoReport v2 over the event loop: services are our categories, service
requests are our events, and the spec's fields are mapped to and from ours here (the
HTTP edge is app/routers/open311.py).

- A service is a subclass category (4-digit code); its group is the class. A few
  services have attributes (:data:`ATTRIBUTES`), the rest have ``metadata: false`` and
  a definition with no attributes.
- A request's ``status`` is ``open`` while the event is in :data:`stages.OPEN`, else
  ``closed``; ``status_notes`` names the stage and the latest note of the history;
  ``notes`` (the Chicago extension) lists every step.
- Creating a request builds a :class:`intake.Report` with source ``open311``. First and
  last name and email become the reporter's name, phone the reporter's phone: personal
  data, kept private like every reporter's contact. The event has no notes of its own,
  so attribute answers and ``media_url`` are kept as lines of the description (the URL
  is not fetched); ``media_url`` is read back from there.
- ``service_request_id`` is our tracking number; the spec's token (for servers that
  cannot answer an id at once) is the tracking number too, since intake answers at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from gis.errors import InvalidParameter, NotFound
from gis.events import intake
from gis.events.errors import InvalidEvent
from gis.events.stages import OPEN, STATUS_NAMES

# The spec: a search spans at most 90 days; without dates, the last 90 days.
MAX_SPAN = timedelta(days=90)
MAX_IDS = 100
MAX_MEDIA_URL = 500
# Description lines added on intake; the prefix lets media_url be read back.
MEDIA_PREFIX = "[media_url] "
ATTRIBUTE_PREFIX = "[attribute] "
# Form fields a create request may carry besides attribute[code]. device_id and
# account_id identify the client's device and account; we have no use for them.
FIELDS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_]{1,50})\]$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Attribute:
    """One question a service asks; ``values`` are (key, name) for list datatypes."""

    code: str
    description: str
    datatype: str
    required: bool
    values: tuple[tuple[str, str], ...] = ()


# Asked where the answer changes the response: someone trapped in a lift is an
# emergency, the size of a collapse decides the crew, the floor finds the hazard.
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "0901": (
        Attribute(
            "trapped",
            "有人被困在电梯里吗？ Is anyone trapped in the lift?",
            "singlevaluelist",
            True,
            (("yes", "是 yes"), ("no", "否 no")),
        ),
    ),
    "0501": (
        Attribute(
            "size",
            "塌陷大约多大？ How large is the collapse?",
            "singlevaluelist",
            False,
            (
                ("small", "小于 1 米 under 1 m"),
                ("medium", "1–3 米 1–3 m"),
                ("large", "大于 3 米 over 3 m"),
            ),
        ),
    ),
    "0803": (
        Attribute(
            "floor",
            "隐患大约在几楼？ Roughly which floor is the hazard on?",
            "number",
            False,
        ),
    ),
}


async def services(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every service (subclass category), in code order, as the spec's Service."""
    categories = await intake.category_list(conn)
    classes = {c["code"]: c for c in categories if c["class_code"] is None}
    answer: list[dict[str, Any]] = []
    for category in categories:
        if category["class_code"] is None:
            continue
        code = str(category["code"])
        group = classes.get(category["class_code"])
        answer.append(
            {
                "service_code": code,
                "service_name": category["name"],
                "description": category["name_en"],
                "metadata": code in ATTRIBUTES,
                "type": "realtime",
                "keywords": ",".join(filter(None, (category["name"], category["name_en"]))),
                "group": group["name"] if group else None,
            }
        )
    return answer


def unknown_service(code: str, known: Iterable[dict[str, Any]], field: str) -> InvalidEvent:
    """The error for an unknown service code, listing the valid ones."""
    listing = ", ".join(f"{s['service_code']} {s['service_name']}" for s in known)
    return InvalidEvent(field, f"unknown service_code {code!r}; valid: {listing}")


def definition(code: str, known: list[dict[str, Any]]) -> dict[str, Any]:
    """The spec's ServiceDefinition: the attributes of a known service (none when its
    ``metadata`` is false); InvalidEvent naming the valid codes otherwise."""
    if code not in {s["service_code"] for s in known}:
        raise unknown_service(code, known, "service_code")
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": None,
                "order": order,
                "description": attribute.description,
                **(
                    {"values": [{"key": k, "name": n} for k, n in attribute.values]}
                    if attribute.values
                    else {}
                ),
            }
            for order, attribute in enumerate(ATTRIBUTES.get(code, ()), start=1)
        ],
    }


def parse_request(pairs: list[tuple[str, str]], known: list[dict[str, Any]]) -> intake.Report:
    """A :class:`intake.Report` from a create request's form fields.

    Parameters
    ----------
    pairs : the form's (name, value) pairs in order; ``lat``/``long`` in WGS84 degrees.
    known : the services (:func:`services`).

    Raises
    ------
    InvalidEvent naming the first field that cannot be accepted.
    """
    fields: dict[str, str] = {}
    answers: dict[str, str] = {}
    for name, value in pairs:
        match = _ATTRIBUTE.fullmatch(name)
        if name not in FIELDS and match is None:
            raise InvalidEvent(
                name, f"unknown field; a request has {', '.join(FIELDS)} and attribute[code]"
            )
        if name in fields or (match and match.group(1) in answers):
            raise InvalidEvent(name, "given more than once")
        if "\x00" in value:
            raise InvalidEvent(name, "contains a NUL character")
        if match:
            answers[match.group(1)] = value.strip()
        else:
            fields[name] = value.strip()
    code = fields.get("service_code", "")
    if not code:
        raise InvalidEvent("service_code", "required: one of the codes of services.json")
    if code not in {s["service_code"] for s in known}:
        raise unknown_service(code, known, "service_code")
    description = fields.get("description", "")
    if not description:
        raise InvalidEvent("description", "required: say what is wrong")
    lines = [description, *_attribute_lines(code, answers)]
    media_url = fields.get("media_url")
    if media_url:
        if len(media_url) > MAX_MEDIA_URL or not _URL.fullmatch(media_url):
            raise InvalidEvent("media_url", f"expected an http(s) URL of at most {MAX_MEDIA_URL}")
        lines.append(MEDIA_PREFIX + media_url)
    if fields.get("address_id"):
        raise InvalidEvent("address_id", "not supported: send lat and long or address_string")
    return intake.Report(
        category=code,
        description="\n".join(lines),
        source="open311",
        point=_point(fields),
        address=fields.get("address_string") or None,
        reporter_name=_reporter_name(fields),
        reporter_phone=fields.get("phone") or None,
    )


def _attribute_lines(code: str, answers: dict[str, str]) -> list[str]:
    asked = {attribute.code: attribute for attribute in ATTRIBUTES.get(code, ())}
    for given in answers:
        if given not in asked:
            offered = ", ".join(asked) or "none"
            raise InvalidEvent(
                f"attribute[{given}]", f"service {code} has no such attribute; it has {offered}"
            )
    lines = []
    for attribute in asked.values():
        value = answers.get(attribute.code, "")
        field = f"attribute[{attribute.code}]"
        if not value:
            if attribute.required:
                raise InvalidEvent(field, f"required: {attribute.description}")
            continue
        if attribute.values:
            names = dict(attribute.values)
            if value not in names:
                raise InvalidEvent(field, f"{value!r} is not one of {', '.join(names)}")
            value = names[value]
        elif attribute.datatype == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise InvalidEvent(field, f"expected a number, got {value!r}")
        lines.append(f"{ATTRIBUTE_PREFIX}{attribute.description} {value}")
    return lines


def _point(fields: dict[str, str]) -> tuple[float, float] | None:
    lat, lon = fields.get("lat", ""), fields.get("long", "")
    if not lat and not lon:
        if not fields.get("address_string"):
            raise InvalidEvent("lat", "a location is required: lat and long, or address_string")
        return None
    if not lat or not lon:
        raise InvalidEvent("lat" if not lat else "long", "lat and long go together")
    try:
        point = float(lon), float(lat)
    except ValueError:
        raise InvalidEvent("lat", f"lat {lat!r} and long {lon!r} must be numbers") from None
    return point


def _reporter_name(fields: dict[str, str]) -> str | None:
    name = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    email = fields.get("email")
    if email:
        if not _EMAIL.fullmatch(email):
            raise InvalidEvent("email", f"{email!r} is not an email address")
        # The event keeps a name and a phone; the email goes with the name.
        name = f"{name} <{email}>" if name else email
        if len(name) > intake.MAX_NAME:
            raise InvalidEvent(
                "email", f"name and email take {len(name)} characters; at most {intake.MAX_NAME}"
            )
    return name or None


def _public_description(text: str) -> tuple[str, str | None]:
    """(description, media_url) of a stored description."""
    media_url = None
    kept = []
    for line in text.split("\n"):
        if line.startswith(MEDIA_PREFIX):
            media_url = line[len(MEDIA_PREFIX) :]
        else:
            kept.append(line)
    return "\n".join(kept), media_url


def as_request(
    feature: dict[str, Any], updated_at: str | None, last_note: str | None
) -> dict[str, Any]:
    """The spec's Request for an event Feature (public members only).

    Parameters
    ----------
    feature : from :func:`queries.detail` or :func:`queries.listing` (private=False);
        with ``history`` the answer carries ``notes``.
    updated_at : ISO 8601 time of the latest step (None: the report time).
    last_note : the latest non-empty note of the history.

    Returns
    -------
    The Request; ``lat``/``long`` in WGS84 degrees, times ISO 8601 with offset.
    """
    p = feature["properties"]
    description, media_url = _public_description(p["description"] or "")
    assignee = p.get("assignee") or {}
    agency = assignee.get("name") or (
        f"网格 grid {assignee['grid_code']}" if assignee.get("kind") == "grid" else None
    )
    coordinates = (feature.get("geometry") or {}).get("coordinates") or [None, None]
    notes = STATUS_NAMES[p["status"]] + (f": {last_note}" if last_note else "")
    request: dict[str, Any] = {
        "service_request_id": p["tracking_number"],
        "status": "open" if p["status"] in OPEN else "closed",
        "status_notes": notes,
        "service_name": p["category"],
        "service_code": p["category_code"],
        "description": description,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": p["reported_at"],
        "updated_datetime": updated_at or p["reported_at"],
        "expected_datetime": p.get("deadline_at"),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": coordinates[1],
        "long": coordinates[0],
        "media_url": media_url,
    }
    history = p.get("history")
    if history is not None:
        request["notes"] = [
            {
                "datetime": step["at"],
                "type": step["action"],
                "summary": STATUS_NAMES.get(step["to_status"], step["to_status"]),
                **({"description": step["note"]} if step["note"] else {}),
            }
            for step in history
        ]
    return request


def service_notice(feature: dict[str, Any]) -> str:
    """What happens next, from the event as intake left it."""
    p = feature["properties"]
    assignee = p.get("assignee") or {}
    if assignee:
        who = assignee.get("name") or f"网格 grid {assignee.get('grid_code')}"
        due = f"; due by {p['deadline_at']}" if p.get("deadline_at") else ""
        return f"已派遣 dispatched to {who}{due}"
    notes = [step["note"] for step in p.get("history") or () if step["note"]]
    held = notes[-1] if notes else "waiting for staff to dispatch"
    return f"{STATUS_NAMES[p['status']]}: {held}"


async def latest_steps(
    conn: AsyncConnection, event_ids: list[int]
) -> dict[int, tuple[str, str | None]]:
    """Per event: (time of its latest step, ISO 8601; its latest non-empty public note,
    with phone and ID numbers masked as on every public surface)."""
    cursor = await conn.execute(
        "SELECT event_id, to_jsonb(max(at)) #>> '{}', event_public_text("
        "(array_agg(note ORDER BY history_id DESC) FILTER (WHERE note <> '' AND note_public))[1])"
        " FROM event_history WHERE event_id = ANY(%s) GROUP BY event_id",
        (event_ids,),
    )
    return {int(row[0]): (row[1], row[2]) for row in await cursor.fetchall()}


def search_window(
    start: datetime | None, end: datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """[start, end] of a search, at most 90 days: a missing end is 90 days after the
    start (or now), a missing start 90 days before the end; InvalidParameter otherwise."""
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise InvalidParameter("end_date", "is before start_date")
    if end - start > MAX_SPAN:
        raise InvalidParameter("end_date", "a search spans at most 90 days from start_date")
    return start, end


def statuses(value: str | None) -> tuple[str, ...]:
    """Our stages for the spec's ``status`` filter (open, closed; comma-separated)."""
    if value is None:
        return ()
    chosen: list[str] = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        if part == "open":
            chosen.extend(OPEN)
        elif part == "closed":
            chosen.extend(s for s in STATUS_NAMES if s not in OPEN)
        else:
            raise InvalidParameter("status", f"unknown {part!r}; open or closed")
    return tuple(dict.fromkeys(chosen))


async def check_jurisdiction(conn: AsyncConnection, jurisdiction_id: str | None) -> None:
    """Nothing when the jurisdiction is absent or a loaded district's county code."""
    if jurisdiction_id is None:
        return
    cursor = await conn.execute(
        "SELECT 1 FROM districts WHERE county_code = %s::bpchar", (jurisdiction_id.strip(),)
    )
    if await cursor.fetchone() is None:
        raise NotFound(f"jurisdiction_id {jurisdiction_id!r} not found: give a county code")
