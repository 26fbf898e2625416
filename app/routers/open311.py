"""Open311 GeoReport v2 at ``/open311/v2/`` (JSON only). The mapping is in
gis/events/open311.py; events are created and read through gis/events.

- ``GET services.json`` (or ``services``): our subclass categories.
- ``GET services/{service_code}.json``: the service definition (attributes).
- ``GET requests.json``: ``service_request_id`` (comma-separated; overrides the rest),
  ``service_code``, ``start_date``, ``end_date`` (at most 90 days; default the last 90),
  ``status`` (open, closed), ``jurisdiction_id``; at most 1000, newest first.
- ``POST requests.json``: form-encoded, with an ``api_key`` (a token of role open311,
  staff or admin); answers ``[{service_request_id, service_notice, account_id}]``.
- ``GET requests/{service_request_id}.json``: one request, as a list of one.
- ``GET tokens/{token}.json``: the request id for a token (our token is the id).

Every error is the spec's list of ``{code, description}`` with the HTTP status as code;
``.xml`` (or any format but JSON) is refused with 400.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.deps import Connection
from app.errors import STATUS_BY_ERROR
from app.limits import OPEN311_FORM_LIMIT
from app.params import check_known, documented, parse_instant, parse_list, parse_matching
from app.problems import ERROR_MEANINGS, problem_responses
from gis import tokens
from gis.errors import InvalidParameter, NotFound, OnemapError
from gis.events import intake, open311, queries
from gis.events.errors import IdempotencyKeyReused, InvalidEvent
from gis.events.stages import Actor
from gis.ogc.collections import TRACKING_NUMBER

ROLES = ("open311", "staff", "admin")
# What GET requests.json takes (with jurisdiction_id, which every endpoint takes).
REQUEST_PARAMETERS = ("service_request_id", "service_code", "start_date", "end_date", "status")
FORM = "application/x-www-form-urlencoded"
MAX_FORM = OPEN311_FORM_LIMIT


class Open311Error(Exception):
    """An error answered as the spec's error list."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _status(error: OnemapError) -> int:
    if isinstance(error, IdempotencyKeyReused):
        return 422
    # The spec answers a request it cannot take with 400.
    if isinstance(error, InvalidEvent | InvalidParameter):
        return 400
    return next((code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 500)


class Open311Problem(BaseModel):
    """One error of the spec's error list."""

    code: int
    description: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of a route's errors, in the spec's error list."""
    errors = {"type": "array", "items": Open311Problem.model_json_schema()}
    return {
        status: {
            "description": ERROR_MEANINGS[status],
            "content": {"application/json": {"schema": errors}},
        }
        for status in statuses
    }


# A spec URL names its format: .json is served, any other is refused (400).
_EXTENSION = {
    "parameters": [
        {
            "name": "extension",
            "in": "path",
            "required": True,
            "description": "the response format; only json is served",
            "schema": {"type": "string", "enum": ["json"]},
        }
    ]
}


def error_response(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


class Open311Route(APIRoute):
    """Answers every error of its endpoint in the Open311 error format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as error:
                return error_response(error.status, error.description)
            except OnemapError as error:
                return error_response(_status(error), str(error))
            except HTTPException as error:
                return error_response(error.status_code, str(error.detail))
            except RequestValidationError as error:
                return error_response(400, str(error.errors()))

        return handle


router = APIRouter(
    prefix="/open311/v2",
    tags=["open311"],
    route_class=Open311Route,
    # Every route refuses unknown query parameters and other formats (400) and an unknown
    # jurisdiction_id (404); a database out of reach is answered by the app's handler, in
    # its problem shape (503).
    responses={**_errors(400, 404), **problem_responses(503)},
)


def _json_only(name: str) -> str:
    """``name`` without its ``.json``; 400 for another format."""
    base, dot, extension = name.rpartition(".")
    if not dot:
        return name
    if extension.lower() != "json":
        raise Open311Error(
            400, f"format {extension!r} is not offered: this server answers JSON only (.json)"
        )
    return base


def _extension(request: Request) -> str:
    return str(request.path_params.get("extension", "json"))


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    return check_known(request.query_params, (*allowed, "jurisdiction_id"))


async def _caller(conn: Any, api_key: str | None) -> Actor:
    if not api_key:
        raise Open311Error(401, "api_key: required to create a request")
    try:
        caller = await tokens.identify(conn, api_key)
    except tokens.TokenError as error:
        raise Open311Error(403, f"api_key: {error}") from None
    if caller.role not in ROLES:
        raise Open311Error(
            403, f"api_key: a {caller.role} token cannot create requests; {', '.join(ROLES)} can"
        )
    return Actor.from_caller(caller)


@router.get("/services.{extension}", openapi_extra=_EXTENSION)
@router.get("/services")
async def services(request: Request, conn: Connection) -> JSONResponse:
    """Every service (our subclass categories)."""
    _json_only(f"services.{_extension(request)}")
    params = _query(request, ())
    await open311.check_jurisdiction(conn, params.get("jurisdiction_id"))
    return JSONResponse(await open311.services(conn))


@router.get("/services/{service_code}", responses=_errors(404))
async def service_definition(service_code: str, request: Request, conn: Connection) -> Any:
    """The attributes a service asks for (none when its metadata is false)."""
    code = _json_only(service_code)
    params = _query(request, ())
    await open311.check_jurisdiction(conn, params.get("jurisdiction_id"))
    known = await open311.services(conn)
    try:
        return JSONResponse(open311.definition(code, known))
    except InvalidEvent as error:
        raise Open311Error(404, error.problem) from None


_TEXT = {"type": "string"}
# REQUEST_PARAMETERS and jurisdiction_id as the OpenAPI document states them
_REQUESTS_DOCUMENTED = [
    documented("service_request_id", _TEXT, "tracking numbers, comma-separated"),
    documented("service_code", _TEXT, "service codes, comma-separated"),
    documented("start_date", _TEXT, "date or date-time (China time without offset)"),
    documented("end_date", _TEXT, "date or date-time; at most 90 days after start_date"),
    documented("status", _TEXT, "open, closed (comma-separated)"),
    documented("jurisdiction_id", _TEXT),
]


@router.get(
    "/requests.{extension}",
    openapi_extra={"parameters": _EXTENSION["parameters"] + _REQUESTS_DOCUMENTED},
)
@router.get("/requests", openapi_extra={"parameters": _REQUESTS_DOCUMENTED})
async def requests(request: Request, conn: Connection) -> JSONResponse:
    """Requests, newest first: by ids, or by service, date window and status."""
    _json_only(f"requests.{_extension(request)}")
    params = _query(request, REQUEST_PARAMETERS)
    await open311.check_jurisdiction(conn, params.get("jurisdiction_id"))
    if "service_request_id" in params:
        return JSONResponse(await _by_ids(conn, params["service_request_id"]))
    known = await open311.services(conn)
    codes = tuple(parse_list(params.get("service_code")))
    for code in codes:
        if code not in {s["service_code"] for s in known}:
            raise open311.unknown_service(code, known, "service_code")
    # Without an offset, a date or a date-time is China's clock.
    start, end = open311.search_window(
        parse_instant("start_date", params.get("start_date"), local_times=True),
        parse_instant("end_date", params.get("end_date"), local_times=True),
        now=datetime.now(UTC),
    )
    selection = queries.EventSelection(
        status=open311.statuses(params.get("status")),
        category=codes,
        reported_after=start,
        # end_date is the latest instant included.
        reported_before=end + timedelta(microseconds=1),
    )
    page = await queries.listing(conn, selection, limit=queries.MAX_LIMIT)
    features = page["features"]
    steps = await open311.latest_steps(conn, [f["id"] for f in features])
    return JSONResponse(
        [open311.as_request(f, *steps.get(f["id"], (None, None))) for f in features]
    )


async def _by_ids(conn: Any, value: str) -> list[dict[str, Any]]:
    ids = parse_list(value)
    if len(ids) > open311.MAX_IDS:
        raise InvalidParameter("service_request_id", f"at most {open311.MAX_IDS} ids")
    answer = []
    for ref in dict.fromkeys(ids):
        # ids are tracking numbers, not our internal event ids: anything else is a mistake
        parse_matching("service_request_id", ref, TRACKING_NUMBER, "tracking numbers (SJ…)")
        try:
            event_id = await queries.resolve(conn, ref)
            feature = await queries.detail(conn, event_id, private=False, with_history=False)
        except NotFound:
            continue  # a search: unknown ids, and those the public may not see, match nothing
        steps = await open311.latest_steps(conn, [event_id])
        answer.append(open311.as_request(feature, *steps.get(event_id, (None, None))))
    return answer


@router.get("/requests/{service_request_id}", responses=_errors(404))
async def one_request(service_request_id: str, request: Request, conn: Connection) -> Any:
    """One request with its notes, as a list of one (the spec's answer)."""
    ref = _json_only(service_request_id)
    params = _query(request, ())
    await open311.check_jurisdiction(conn, params.get("jurisdiction_id"))
    if not ref.startswith("SJ"):
        raise Open311Error(404, f"no service request {ref!r}: ids are tracking numbers (SJ…)")
    feature = await queries.detail(conn, ref, private=False)
    steps = await open311.latest_steps(conn, [feature["id"]])
    return JSONResponse([open311.as_request(feature, *steps.get(feature["id"], (None, None)))])


@router.get("/tokens/{token}", responses=_errors(404))
async def token(token: str, request: Request, conn: Connection) -> Any:
    """The request id for a token. Requests are created at once, so a token is the
    tracking number itself; an unknown token is 404."""
    ref = _json_only(token)
    params = _query(request, ())
    await open311.check_jurisdiction(conn, params.get("jurisdiction_id"))
    if not ref.startswith("SJ"):
        raise Open311Error(404, f"no token {ref!r}")
    try:
        await queries.resolve(conn, ref)
    except NotFound:
        raise Open311Error(404, f"no token {ref!r}") from None
    return JSONResponse([{"service_request_id": ref, "token": ref}])


_CREATE_ERRORS = _errors(401, 403, 413, 415, 422, 429)


@router.post("/requests.{extension}", responses=_CREATE_ERRORS, openapi_extra=_EXTENSION)
@router.post("/requests", responses=_CREATE_ERRORS)
async def create_request(request: Request, conn: Connection) -> JSONResponse:
    """Create a request from a form-encoded body; the event is placed, filed and
    dispatched before the answer is sent."""
    _json_only(f"requests.{_extension(request)}")
    if "api_key" in request.query_params:
        # URLs are written to access logs and proxies' logs: a key there is a key leaked
        raise Open311Error(
            400, "api_key: send it in the form body, not in the URL, where it would be logged"
        )
    check_known(request.query_params, ("jurisdiction_id",))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM, "multipart/form-data"):
        raise Open311Error(
            415, f"content type {content_type or '(none)'!r}: send {FORM} (the spec's form)"
        )
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_FORM:
        raise Open311Error(413, f"request of {int(length):,} bytes; at most {MAX_FORM:,}")
    try:
        form = await request.form(max_files=0, max_fields=100, max_part_size=MAX_FORM)
    except HTTPException as error:
        raise Open311Error(400, f"malformed form: {error.detail}") from None
    pairs: list[tuple[str, str]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise Open311Error(400, f"{name}: files are not taken; send media_url")
        pairs.append((name, value))
    api_key = form.get("api_key")
    actor = await _caller(conn, api_key if isinstance(api_key, str) else None)
    jurisdiction = form.get("jurisdiction_id")
    await open311.check_jurisdiction(conn, jurisdiction if isinstance(jurisdiction, str) else None)
    report = open311.parse_request(pairs, await open311.services(conn))
    created = await intake.create(
        conn,
        report,
        actor=actor,
        idempotency_key=request.headers.get("idempotency-key"),
        reporter_secret=request.app.state.settings.reporter_secret(),
    )
    answer = {
        "service_request_id": created.response["properties"]["tracking_number"],
        "service_notice": open311.service_notice(created.response),
        # We keep no user accounts: the account that submitted is the api_key's token.
        "account_id": str(actor.token_id),
    }
    headers = {"Idempotent-Replayed": "true"} if created.replayed else {}
    return JSONResponse([answer], status_code=200, headers=headers)


# Not a resource: left out of the OpenAPI document.
@router.api_route(
    "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def unknown(rest: str) -> JSONResponse:
    """Anything else under /open311/v2/ is 404 in the spec's error format."""
    raise Open311Error(404, f"no Open311 resource {rest!r}: see services.json, requests.json")
