"""Patrol coverage in time at the HTTP edge (docs/patrols.md, "Visits and the standard"):

- ``GET /api/v1/patrols/coverage?from=&to=&group_by=&scope=`` visits, hours and the
  monthly visit standard per grid, community, subdistrict, or team and grid served;
- ``GET /api/v1/patrols/stale?days=&scope=`` grids no patrol has entered for ``days``
  days (default: each grid kind's standard), never-patrolled grids first.
- ``GET /api/v1/patrols/blind-spots?from=&to=&days=&scope=&format=`` events reported where
  no patrol passed within R metres in the ``days`` days before: a GeoJSON layer, or
  (``format=json``) the same blind spots as a list.

For the analysts (admin, staff, auditor, planner), one analysis at a time per caller
(app/deps.py): a visit report says where people walked and when. ``scope`` defaults to
the caller's county and must lie in it (403 otherwise). 400 naming the parameter for a
malformed value or an unknown parameter.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.deps import ReadAnalyst, SyncReadConnection
from app.params import check_known, documented, parse_instant, parse_integer
from app.problems import problem_responses
from app.responses import GeoJSONResponse
from gis.access.coverage import parse_scope
from gis.errors import InvalidParameter
from gis.patrols import blind_spots as blind
from gis.patrols import visits
from gis.tokens import Caller

router = APIRouter(
    prefix="/api/v1/patrols",
    tags=["patrols"],
    responses=problem_responses(400, 401, 403, 429, 503),
)
SCOPE = documented(
    "scope",
    {"type": "string", "pattern": "^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"},
    "a county, subdistrict or community code in the caller's county (default the county)",
)

# Synchronous domain functions (gis.patrols.visits): plain ``def`` routes, run on worker
# threads off the event loop.


@router.get(
    "/coverage",
    response_class=JSONResponse,
    openapi_extra={
        "parameters": [
            documented("from", {"type": "string"}, "date or RFC 3339 date-time (inclusive)"),
            documented("to", {"type": "string"}, "date or RFC 3339 date-time (exclusive)"),
            documented("group_by", {"type": "string", "enum": list(visits.GROUPINGS)}),
            SCOPE,
        ]
    },
)
def coverage(request: Request, conn: SyncReadConnection, caller: ReadAnalyst) -> JSONResponse:
    """Per grid of ``scope`` (or summed per community or subdistrict, or per team and each
    grid it serves): visits, hours inside, the last patrol and whether each calendar month
    (China time) of [``from``, ``to``) meets the standard of the grid's kind. Default
    period: the current month in China time; default ``group_by``: grid."""
    params = check_known(request.query_params, ("from", "to", "group_by", "scope"))
    report = visits.coverage_report(
        conn,
        start=parse_instant("from", params.get("from")),
        end=parse_instant("to", params.get("to")),
        group_by=params.get("group_by") or "grid",
        scope=_scope(caller, params.get("scope")),
    )
    return JSONResponse(report.as_dict())


@router.get(
    "/stale",
    response_class=JSONResponse,
    openapi_extra={
        "parameters": [
            documented(
                "days",
                {"type": "integer", "minimum": 1, "maximum": 3660},
                "days without a patrol (default each grid kind's standard, 14)",
            ),
            SCOPE,
        ]
    },
)
def stale(request: Request, conn: SyncReadConnection, caller: ReadAnalyst) -> JSONResponse:
    """The grids of ``scope`` nobody has patrolled for ``days`` days, with when a patrol
    was last inside (null: never), never-patrolled grids first."""
    params = check_known(request.query_params, ("days", "scope"))
    days = parse_integer("days", params.get("days"), minimum=1, maximum=3660)
    scope = _scope(caller, params.get("scope"))
    grids = visits.stale_grids(conn, days=days, scope=scope)
    return JSONResponse(
        {
            "days": days,
            "scope": scope,
            "numberMatched": len(grids),
            "grids": [grid.as_dict() for grid in grids],
        }
    )


# One resource, two representations of it: the layer a map draws (GeoJSON, the default)
# and the list a table shows (``format=json``), chosen the way /api/v1/access/standards
# chooses (``f`` is the OGC API's, under /ogc). A second path would name the same blind
# spots twice.
BLIND_SPOT_FORMATS = ("geojson", "json")


@router.get(
    "/blind-spots",
    response_class=GeoJSONResponse,
    responses={200: {"content": {"application/json": {}}}},
    openapi_extra={
        "parameters": [
            documented("from", {"type": "string"}, "date or RFC 3339 date-time (inclusive)"),
            documented("to", {"type": "string"}, "date or RFC 3339 date-time (exclusive)"),
            documented(
                "days",
                {"type": "integer", "minimum": 1, "maximum": blind.MAX_DAYS},
                f"the window before each event a patrol must have passed in (default {blind.DAYS})",
            ),
            SCOPE,
            documented(
                "format",
                {"type": "string", "enum": list(BLIND_SPOT_FORMATS)},
                "geojson (default): a FeatureCollection; json: a list",
            ),
        ]
    },
)
def blind_spots(request: Request, conn: SyncReadConnection, caller: ReadAnalyst) -> JSONResponse:
    """Events of ``scope`` reported in [``from``, ``to``) that no patrol passed within R
    metres of (the county's standard, 30 m) in the ``days`` days before, by grid then
    time, each with the nearest patrol within 500 m in the 30 days before; the events as
    the public sees them (the point as its 50 m cell, no personal data). Default period:
    the current month in China time."""
    params = check_known(request.query_params, ("from", "to", "days", "scope", "format"))
    answer_format = params.get("format") or "geojson"
    if answer_format not in BLIND_SPOT_FORMATS:
        raise InvalidParameter(
            "format", f"must be one of {', '.join(BLIND_SPOT_FORMATS)}, not {answer_format!r}"
        )
    options: dict[str, Any] = {
        "start": parse_instant("from", params.get("from")),
        "end": parse_instant("to", params.get("to")),
        "scope": _scope(caller, params.get("scope")),
        "days": parse_integer(
            "days", params.get("days"), default=blind.DAYS, minimum=1, maximum=blind.MAX_DAYS
        ),
    }
    if answer_format == "json":
        return JSONResponse(blind.blind_spots(conn, **options).as_dict())
    return GeoJSONResponse(blind.blind_spot_layer(conn, **options))


def _scope(caller: Caller, given: str | None) -> str:
    """The scope asked for, normalised, inside the caller's county; default the county."""
    scope = parse_scope(given) or caller.county_code
    if not scope.startswith(caller.county_code):
        raise HTTPException(
            403, f"scope {scope} is outside the caller's county {caller.county_code}"
        )
    return scope
