"""Indicators at the HTTP edge:

- ``GET /api/v1/indicators/events?group_by=…&from=&to=``: the closed loop's indicators;
- ``GET /api/v1/indicators/areas?level=…&indicator=…[&from=&to=][&classes=][&method=]``:
  every grid, community or subdistrict with one indicator's value and class, for the
  map's choropleths (docs/indicators.md; gis/indicators/areas.py).

The GB/T 30428 indicators of events reported in ``[from, to)`` (docs/events.md,
"Event indicators"; definitions in gis/events/indicators.py and in the answer's
``definitions``). 400 naming the parameter for an unknown ``group_by``, a malformed
``from``/``to``, ``to`` not after ``from`` or an unknown parameter.

Open to any caller, like the audit: counts and rates per area, no personal data. The
patrol indicators of the areas say where patrols walked and when: like the patrol
coverage report, for the analysts' roles only (401 without a caller, 403 for another role).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.deps import ANALYST_ROLES, ReadConnection, identify_caller
from app.params import check_known, documented, parse_instant, parse_integer
from app.problems import problem_responses
from gis.errors import InvalidParameter
from gis.events import indicators
from gis.indicators import areas

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])


@router.get(
    "/events",
    response_class=JSONResponse,
    responses=problem_responses(400, 503),
    openapi_extra={
        "parameters": [
            documented(
                "group_by", {"type": "string", "enum": list(indicators.GROUPS)}, required=True
            ),
            documented("from", {"type": "string"}, "date or RFC 3339 date-time (inclusive)"),
            documented("to", {"type": "string"}, "date or RFC 3339 date-time (exclusive)"),
        ]
    },
)
async def event_indicators(request: Request, conn: ReadConnection) -> JSONResponse:
    """结案率, 按期结案率, 处置率, 按期处置率, 准确派遣率, average handling and closing
    hours, rework and overdue counts per ``group_by`` (grid, community, subdistrict,
    category, source, month) for events reported from ``from`` (inclusive) to ``to``
    (exclusive): dates (China midnight) or ISO 8601 date-times with offset."""
    params = check_known(request.query_params, ("group_by", "from", "to"))
    group_by = params.get("group_by")
    if group_by is None:
        raise InvalidParameter("group_by", f"required: one of {', '.join(indicators.GROUPS)}")
    report = await indicators.event_indicators(
        conn,
        group_by,
        # A date is the midnight that starts it in China; a date-time needs its offset.
        start=parse_instant("from", params.get("from")),
        end=parse_instant("to", params.get("to")),
    )
    return JSONResponse(report)


@router.get(
    "/areas",
    response_class=JSONResponse,
    responses=problem_responses(400, 401, 403, 503),
    openapi_extra={
        "parameters": [
            documented("level", {"type": "string", "enum": list(areas.LEVELS)}, required=True),
            documented(
                "indicator",
                {"type": "string", "enum": list(areas.INDICATORS)},
                "what to map; the answer's `indicator` defines it (zh, en) and gives its unit",
                required=True,
            ),
            documented(
                "from",
                {"type": "string"},
                "date or RFC 3339 date-time (inclusive): events reported, patrols walked "
                "from then (patrols default: three whole months before the current one)",
            ),
            documented("to", {"type": "string"}, "date or RFC 3339 date-time (exclusive)"),
            documented(
                "classes",
                {
                    "type": "integer",
                    "minimum": areas.MIN_CLASSES,
                    "maximum": areas.MAX_CLASSES,
                    "default": areas.DEFAULT_CLASSES,
                },
            ),
            documented(
                "method",
                {"type": "string", "enum": list(areas.METHODS), "default": "quantiles"},
                "classes of equal counts, or Jenks natural breaks",
            ),
        ]
    },
)
async def area_indicators(request: Request, conn: ReadConnection) -> JSONResponse:
    """Every area of ``level`` (grid, community, subdistrict) with the value of
    ``indicator`` (null where undefined, e.g. no households), its class and the class
    breaks (mapclassify: quantiles or natural breaks), the indicator's definition in
    Chinese and English and its unit, and the figure over all the level's areas."""
    params = check_known(
        request.query_params, ("level", "indicator", "from", "to", "classes", "method")
    )
    level = params.get("level")
    if level is None:
        raise InvalidParameter("level", f"required: one of {', '.join(areas.LEVELS)}")
    chosen = areas.indicator_named(params.get("indicator"))
    start = parse_instant("from", params.get("from"))
    end = parse_instant("to", params.get("to"))
    classes = parse_integer(
        "classes",
        params.get("classes"),
        default=areas.DEFAULT_CLASSES,
        minimum=areas.MIN_CLASSES,
        maximum=areas.MAX_CLASSES,
    )
    if chosen.patrols:
        caller = await identify_caller(request, conn)
        if caller is None:
            raise HTTPException(
                401,
                f"{chosen.name} needs a bearer token or a signed-in session",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if caller.role not in ANALYST_ROLES:
            raise HTTPException(403, f"{chosen.name} needs the role {' or '.join(ANALYST_ROLES)}")
    layer = await areas.area_indicator(
        conn,
        level,
        chosen.name,
        start=start,
        end=end,
        classes=classes,
        method=params.get("method", "quantiles"),
    )
    return JSONResponse(layer)
