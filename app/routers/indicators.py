"""Indicators at the HTTP edge: ``GET /api/v1/indicators/events?group_by=…&from=&to=``.

The GB/T 30428 indicators of events reported in ``[from, to)`` (docs/events.md,
"Event indicators"; definitions in gis/events/indicators.py and in the answer's
``definitions``). 400 naming the parameter for an unknown ``group_by``, a malformed
``from``/``to``, ``to`` not after ``from`` or an unknown parameter.

Open to any caller, like the audit: counts and rates per area, no personal data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import ReadConnection
from app.params import check_known, documented, parse_instant
from app.problems import problem_responses
from gis.errors import InvalidParameter
from gis.events import indicators

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
