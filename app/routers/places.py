"""The panels of places at the HTTP edge (docs/indicators.md, "The place panel"):

- ``GET /api/v1/places/{code}``: a subdistrict (9 digits), community (12), grid (15, or
  a legacy 14) or building (17);
- ``GET /api/v1/places/compounds/{compound_id}``: a compound (小区), by its id.

Open to any caller; what the panel holds depends on who calls (gis/places/panel.py):
anonymous callers get counts, shares, centres and the public's view of events, nothing
personal; signed-in callers every event; command staff the grid members' names; analysts
the patrols. 400 naming the parameter for a malformed code or id or an unknown query
parameter, 404 naming a code or id no place has.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import ReadConnection, identify_caller
from app.params import check_known, parse_integer
from app.problems import problem_responses
from gis.places import panel

router = APIRouter(
    prefix="/api/v1/places", tags=["places"], responses=problem_responses(400, 401, 404, 503)
)


async def _viewer(request: Request, conn: ReadConnection) -> panel.Viewer:
    caller = await identify_caller(request, conn)
    return panel.Viewer(caller.role if caller is not None else None)


@router.get("/compounds/{compound_id}", response_class=JSONResponse)
async def compound(compound_id: str, request: Request, conn: ReadConnection) -> JSONResponse:
    """The panel of a compound: its community and parents, the grid holding it and that
    grid's team, households and residents of its buildings, its service centres against
    their standard (a compound centre ≥ 300 m²), 15-minute coverage, patrols (analysts),
    events inside its outline and its grid's indicators beside the district's."""
    check_known(request.query_params, ())
    number = parse_integer("compound_id", compound_id, minimum=1)
    viewer = await _viewer(request, conn)
    return JSONResponse(await panel.compound_panel(conn, number or 0, viewer=viewer))


@router.get("/{code}", response_class=JSONResponse)
async def place(code: str, request: Request, conn: ReadConnection) -> JSONResponse:
    """The panel of a subdistrict, community, grid or building: name, kind, parents; team
    (leaders, instructors, members; names for command staff); households and residents;
    service centres against their standard; 15-minute coverage; patrols (analysts: recent
    visits, coverage, the visit standard); events (open by stage, overdue, the latest
    with stage and deadline); the place's indicators beside the district's."""
    check_known(request.query_params, ())
    viewer = await _viewer(request, conn)
    return JSONResponse(await panel.place_panel(conn, code, viewer=viewer))
