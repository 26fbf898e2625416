"""Events over HTTP: report, follow, act. The work is in gis/events/.

- ``POST /api/v1/events``: a GeoJSON Feature (``application/geo+json`` or
  ``application/json``), or ``multipart/form-data`` with a ``feature`` part and up to
  three ``photo`` parts (JPEG/PNG, ≤ 5 MiB each). Without a token it is a public (QR)
  report. ``Idempotency-Key`` makes a retry safe: the same key and request answer the
  first answer (``Idempotent-Replayed: true``) and create nothing; the same key with a
  different request is refused with 422. The answer (201) is sent after the commit.
- ``GET /api/v1/events``: pages of events (filters, bbox, limit/offset), public members.
- ``GET /api/v1/events/{id}``: one event (id or tracking number) with its history; staff
  of its county and the grid member of its grid also see the reporter's contact.
- ``POST /api/v1/events/{id}/transitions``: ``{action, note, rating, department,
  deadline_hours, duplicate_of, expected_status}`` with a bearer token, or for
  ``evaluate`` the reporter's ``X-Reporter-Key``.
- ``GET /api/v1/events/{id}/photos/{n}``: a photo, for staff, auditors and the grid's
  member.
- ``GET /api/v1/event-categories``, ``GET /api/v1/event-transitions``: what forms need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import Connection, Staff, client_address, identify_caller, require_role
from app.params import (
    BBOX_DOCUMENTED,
    check_known,
    documented,
    paging_documented,
    parse_bbox,
    parse_boolean,
    parse_code,
    parse_instant,
    parse_integer,
    parse_list,
    parse_matching,
    parse_paging,
)
from app.problems import problem_responses
from app.responses import GeoJSONResponse
from gis.codes import Level
from gis.errors import InvalidParameter
from gis.events import cells, dispatch, intake, loop, moderation, photos, queries, stages
from gis.events.errors import InvalidEvent, PhotoTooLarge, UnsupportedPhoto
from gis.events.stages import PUBLIC, REPORTER, Actor
from gis.ogc.collections import DEPARTMENT_CODE
from gis.people import admin_log, scope
from gis.tokens import Caller

# Every route reads the database, which may be out of reach (503).
router = APIRouter(prefix="/api/v1", tags=["events"], responses=problem_responses(503))

GEOJSON = "application/geo+json"
# Three photos of 5 MiB and the feature; a larger body is refused before it is read.
MAX_BODY = photos.MAX_PHOTOS * photos.MAX_PHOTO_BYTES + 1024 * 1024
MAX_FEATURE = 256 * 1024
# What a listing and the cells are filtered by.
FILTER_PARAMETERS = (
    "status",
    "category",
    "source",
    "grid_code",
    "community_code",
    "subdistrict_code",
    "department",
    "overdue",
    "escalation_level",
    "duplicate_of",
    "reported_after",
    "reported_before",
    "bbox",
)
LIST_PARAMETERS = (*FILTER_PARAMETERS, "limit", "offset")
CELLS_PARAMETERS = (*FILTER_PARAMETERS, "zoom")
PHOTO_ROLES = ("admin", "staff", "auditor", "grid_member", "department")
_TEXT = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
# FILTER_PARAMETERS as the OpenAPI document states them
FILTER_DOCUMENTED = [
    documented("status", _TEXT, "statuses, comma-separated"),
    documented("category", _TEXT, "category codes or names, comma-separated"),
    documented("source", _TEXT, "sources, comma-separated"),
    documented("grid_code", {"type": "string", "pattern": "^[0-9]{14,15}$"}),
    documented("community_code", {"type": "string", "pattern": "^[0-9]{12}$"}),
    documented("subdistrict_code", {"type": "string", "pattern": "^[0-9]{9}$"}),
    documented("department", {"type": "string", "pattern": f"^{DEPARTMENT_CODE}$"}),
    documented("overdue", {"type": "boolean"}),
    documented("escalation_level", _COUNT),
    documented("duplicate_of", _COUNT),
    documented("reported_after", _TEXT, "RFC 3339 date-time or date; China time without offset"),
    documented("reported_before", _TEXT, "RFC 3339 date-time or date; China time without offset"),
    BBOX_DOCUMENTED,
]
LIST_DOCUMENTED = [*FILTER_DOCUMENTED, *paging_documented(max_limit=queries.MAX_LIMIT)]
CELLS_DOCUMENTED = [
    *FILTER_DOCUMENTED,
    documented(
        "zoom",
        {"type": "integer", "minimum": 0, "maximum": cells.MAX_ZOOM},
        f"the map's zoom: cells are {cells.CELL_PIXELS} pixels across at it",
        required=True,
    ),
]


async def _actor(request: Request, conn: AsyncConnection) -> Actor | None:
    """The caller (token or session) as an actor; None for the public."""
    caller = await identify_caller(request, conn)
    return None if caller is None else Actor.from_caller(caller)


async def _private_view(
    request: Request, conn: AsyncConnection, event_id: int, caller: Caller | None
) -> bool:
    """Whether ``caller`` sees the event's personal data; a read of a reporter's contact
    by staff is written to the admin log."""
    scope_ = await queries.scope_of(conn, event_id)
    private = scope_.private_to(caller)
    if private and scope_.has_contact:
        await admin_log.record(
            conn,
            caller,
            "personal_data.read",
            target=scope_.tracking_number,
            detail={"what": "reporter contact", "path": request.url.path},
            address=client_address(request),
        )
    return private


@router.get("/event-categories")
async def event_categories(conn: Connection) -> dict[str, Any]:
    """The two-level categories (class 2 digits, subclass 4 digits) a report may name."""
    return {"categories": await intake.category_list(conn)}


@router.get(
    "/departments",
    responses=problem_responses(400),
    openapi_extra={
        "parameters": [
            documented("county", {"type": "string", "pattern": "^[0-9]{6}$"}, "6-digit county code")
        ]
    },
)
async def departments(request: Request, conn: Connection) -> dict[str, Any]:
    """The departments an event may be dispatched to (of ``county`` when given): code,
    name, English name, county. Besides them an event may be dispatched to its grid
    (``department: "grid"``) or by the dispatch rules (no department)."""
    params = check_known(request.query_params, ("county",))
    county = parse_matching("county", params.get("county"), "[0-9]{6}", "a 6-digit county code")
    return {"departments": await dispatch.department_list(conn, county)}


@router.get("/event-transitions")
async def event_transitions() -> dict[str, Any]:
    """The transition table: action, from, to, roles."""
    return {"statuses": stages.STATUS_NAMES, "transitions": stages.as_json()}


@router.post(
    "/events",
    status_code=201,
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 413, 415, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                GEOJSON: {"schema": {"type": "object"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "feature": {"type": "string"},
                            "photo": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "maxItems": photos.MAX_PHOTOS,
                            },
                        },
                        "required": ["feature"],
                    }
                },
            },
        }
    },
)
async def report_event(request: Request, conn: Connection) -> JSONResponse:
    """Report an event; it is placed, filed and dispatched before the answer is sent."""
    actor = await _actor(request, conn) or PUBLIC
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise PhotoTooLarge(f"request of {int(length):,} bytes; at most {MAX_BODY:,}")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        report = await _multipart(request)
    elif content_type in ("", "application/json", GEOJSON):
        body = await request.body()
        if len(body) > MAX_FEATURE:
            raise InvalidEvent(
                "body", f"the feature has {len(body):,} bytes; at most {MAX_FEATURE:,}"
            )
        report = intake.parse_feature(body)
    else:
        raise UnsupportedPhoto(
            f"content type {content_type!r}: send {GEOJSON} or multipart/form-data"
        )
    created = await intake.create(
        conn,
        report,
        actor=actor,
        idempotency_key=request.headers.get("idempotency-key"),
        reporter_secret=request.app.state.settings.reporter_secret(),
    )
    headers = {"Location": f"/api/v1/events/{created.event_id}"}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    # The database built the answer's JSON; it is sent as it came.
    return Response(
        created.body, status_code=created.status_code, headers=headers, media_type=GEOJSON
    )


async def _multipart(request: Request) -> intake.Report:
    try:
        form = await request.form(max_files=20, max_fields=20, max_part_size=MAX_FEATURE)
    except StarletteHTTPException as error:
        # Starlette's own (FastAPI's HTTPException is a subclass, so it would miss it)
        raise InvalidEvent("body", f"malformed multipart body: {error.detail}") from None
    unknown = sorted(set(form.keys()) - {"feature", "photo"})
    if unknown:
        raise InvalidEvent("body", f"unknown parts {', '.join(unknown)}; send feature and photo")
    features = form.getlist("feature")
    if len(features) != 1:
        raise InvalidEvent("feature", "send exactly one feature part (the GeoJSON Feature)")
    feature = features[0]
    if isinstance(feature, UploadFile):
        text: bytes | str = await feature.read(MAX_FEATURE + 1)
        if len(text) > MAX_FEATURE:
            raise InvalidEvent("feature", f"larger than {MAX_FEATURE:,} bytes")
    else:
        text = feature
    parts: list[tuple[str, bytes]] = []
    for index, part in enumerate(form.getlist("photo"), start=1):
        if not isinstance(part, UploadFile):
            raise UnsupportedPhoto(f"photo part {index} is text, not an image file")
        content = await part.read(photos.MAX_PHOTO_BYTES + 1)
        parts.append((part.filename or f"photo {index}", content))
    checked = tuple(photos.inspect_all(parts))
    return intake.parse_feature(text, photos=checked)


@router.get(
    "/events",
    response_class=GeoJSONResponse,
    responses=problem_responses(400),
    openapi_extra={"parameters": LIST_DOCUMENTED},
)
async def list_events(request: Request, conn: Connection) -> JSONResponse:
    """Events, newest first: ``status``, ``category``, ``source`` (comma-separated),
    ``grid_code``, ``community_code``, ``subdistrict_code``, ``department``, ``overdue``,
    ``escalation_level``, ``duplicate_of``, ``reported_after``/``reported_before``
    (RFC 3339; without an offset, China time), ``bbox`` (lon,lat,lon,lat), ``limit``
    (1–1000, default 50), ``offset``. No personal data."""
    params = check_known(request.query_params, LIST_PARAMETERS)
    paging = parse_paging(params, default_limit=queries.DEFAULT_LIMIT, max_limit=queries.MAX_LIMIT)
    limit, offset = paging.limit, paging.offset
    selection = _selection(params)
    page = await queries.listing(conn, selection, limit=limit, offset=offset)
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON}]
    if offset + page["numberReturned"] < page["numberMatched"]:
        following = request.url.include_query_params(offset=offset + limit, limit=limit)
        links.append({"rel": "next", "href": str(following), "type": GEOJSON})
    if offset > 0:
        previous = request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append({"rel": "prev", "href": str(previous), "type": GEOJSON})
    return JSONResponse({**page, "links": links}, media_type=GEOJSON)


@router.get(
    "/events/cells",
    response_class=GeoJSONResponse,
    responses=problem_responses(400),
    openapi_extra={"parameters": CELLS_DOCUMENTED},
)
async def event_cells(request: Request, conn: Connection) -> JSONResponse:
    """The events a listing with the same filters would give, counted per square cell of
    the Web Mercator plane, ``zoom`` (0–22, required) setting the cells' size (64 pixels
    across at that zoom): one Point per non-empty cell at the mean of its events' public
    points, with the ``bbox`` they span and ``events``, ``overdue``, ``escalated`` and
    ``stages`` (status → count); the most events first. For maps zoomed out too far to
    show each event. No personal data."""
    params = check_known(request.query_params, CELLS_PARAMETERS)
    zoom = parse_integer("zoom", params.get("zoom"), minimum=0, maximum=cells.MAX_ZOOM)
    if zoom is None:
        raise InvalidParameter("zoom", f"is required: the map's zoom, 0–{cells.MAX_ZOOM}")
    counted = await cells.cells(conn, _selection(params), zoom)
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON}]
    return JSONResponse({**counted, "links": links}, media_type=GEOJSON)


def _selection(params: dict[str, str]) -> queries.EventSelection:
    # The listing's filters, as the listing and the cells take them.
    return queries.EventSelection(
        status=_names(params, "status"),
        category=_names(params, "category"),
        source=_names(params, "source"),
        grid_code=parse_code("grid_code", params.get("grid_code"), Level.GRID),
        community_code=parse_code("community_code", params.get("community_code"), Level.COMMUNITY),
        subdistrict_code=parse_code(
            "subdistrict_code", params.get("subdistrict_code"), Level.TOWNSHIP
        ),
        department=parse_matching(
            "department", params.get("department"), DEPARTMENT_CODE, "a department code"
        ),
        overdue=parse_boolean("overdue", params.get("overdue")),
        escalation_level=parse_integer(
            "escalation_level", params.get("escalation_level"), minimum=0
        ),
        duplicate_of=parse_integer("duplicate_of", params.get("duplicate_of"), minimum=0),
        reported_after=_reported("reported_after", params),
        reported_before=_reported("reported_before", params),
        bbox=parse_bbox("bbox", params.get("bbox")),
    )


def _names(params: dict[str, str], name: str) -> tuple[str, ...]:
    return tuple(parse_list(params.get(name)))


def _reported(name: str, params: dict[str, str]) -> datetime | None:
    # Without an offset, a date or a time is China's (the clock the reports were made by).
    return parse_instant(name, params.get(name), local_times=True)


EventRef = Annotated[str, Path(description="event id or tracking number (SJ…)")]


@router.get(
    "/events/{ref}", response_class=GeoJSONResponse, responses=problem_responses(400, 401, 404)
)
async def get_event(ref: EventRef, request: Request, conn: Connection) -> JSONResponse:
    """One event with its history; the reporter's contact only for staff of its county,
    the member of its grid and the handler of its department (each read logged)."""
    check_known(request.query_params, ())
    caller = await identify_caller(request, conn)
    event_id = await queries.resolve(conn, ref)
    private = await _private_view(request, conn, event_id, caller)
    return JSONResponse(await queries.detail(conn, event_id, private=private), media_type=GEOJSON)


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description=", ".join(stages.ACTIONS))
    note: str = Field("", max_length=2000)
    note_public: bool = Field(False, description="the public may read the note (masked)")
    rating: StrictInt | None = Field(None, description="1–5, with evaluate")
    department: str | None = Field(None, description='department code or "grid", with dispatch')
    deadline_hours: StrictInt | None = Field(None, description="with dispatch")
    duplicate_of: StrictInt | str | None = Field(None, description="with merge")
    expected_status: str | None = Field(None, description="refuse (409) if the event moved on")


@router.post(
    "/events/{ref}/transitions",
    response_class=JSONResponse,
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
async def transition_event(
    ref: EventRef, body: TransitionBody, request: Request, conn: Connection
) -> JSONResponse:
    """Move the event one step through the loop (see /api/v1/event-transitions)."""
    caller = await identify_caller(request, conn)
    actor = None if caller is None else Actor.from_caller(caller)
    reporter_key = request.headers.get("x-reporter-key")
    if actor is None:
        if reporter_key is None:
            raise HTTPException(
                401,
                "a bearer token is required (or X-Reporter-Key to evaluate your own report)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        actor = REPORTER
        await scope.apply_reporter(conn, reporter_key)
    result = await loop.transition(
        conn,
        ref,
        loop.TransitionRequest(**body.model_dump()),
        actor=actor,
        reporter_key=reporter_key,
    )
    # the one who acted sees the event even if its category is not public
    event = await queries.detail(
        conn,
        result["event_id"],
        private=await _private_view(request, conn, result["event_id"], caller),
        public_only=False,
    )
    return JSONResponse({"transition": result, "event": event})


PhotoViewer = Annotated[Caller, Depends(require_role(*PHOTO_ROLES))]


@router.get(
    "/events/{ref}/photos/{position}",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in photos.CONTENT_TYPES.values()}},
        **problem_responses(401, 403, 404, 422),
    },
)
async def event_photo(
    ref: EventRef,
    request: Request,
    caller: PhotoViewer,
    conn: Connection,
    position: Annotated[int, Path(ge=1, le=photos.MAX_PHOTOS)],
) -> Response:
    """A photo of the event, for staff and auditors of its county, its grid's member and
    its department's handler (photos may show faces and carry the reporter's position);
    each read logged."""
    event_id = await queries.resolve(conn, ref)
    scope_ = await queries.scope_of(conn, event_id)
    if not (
        scope_.private_to(caller)
        or (caller.role == "auditor" and caller.county_code == scope_.county_code)
    ):
        raise HTTPException(
            403, "photos are shown to staff and auditors, the grid's member and the department"
        )
    content_type, content = await queries.photo(conn, event_id, position)
    # logged once there is a photo to read
    await admin_log.record(
        conn,
        caller,
        "personal_data.read",
        target=scope_.tracking_number,
        detail={"what": f"photo {position}", "path": request.url.path},
        address=client_address(request),
    )
    return Response(content, media_type=content_type, headers={"Cache-Control": "private"})


class ModerationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool | None = Field(None, description="hide from the public (true) or show again")
    reason: str | None = Field(None, max_length=moderation.MAX_REASON)
    public_description: str | None = Field(
        None,
        max_length=moderation.MAX_PUBLIC_DESCRIPTION,
        description="the text the public reads instead of the description; '' takes it back",
    )


@router.post(
    "/events/{ref}/moderation",
    response_class=JSONResponse,
    responses=problem_responses(401, 403, 404, 413, 422),
)
async def moderate_event(
    ref: EventRef, body: ModerationBody, request: Request, caller: Staff, conn: Connection
) -> JSONResponse:
    """Hide the event from the public (or show it again), or give the public a redacted
    description, with the reason; command staff of its county. Logged in the admin log."""
    event_id = await queries.resolve(conn, ref)
    state = await moderation.moderate(
        conn,
        event_id,
        moderation.ModerationRequest(**body.model_dump()),
        caller=caller,
        address=client_address(request),
    )
    return JSONResponse(jsonable_encoder(state))
