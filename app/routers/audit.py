"""Audits at the HTTP edge: ``GET /api/v1/audit/grids[?community=CODE]``.

The answer is the grid audit document of gis.grids.audit (docs/grids.md, "Grid audit"),
200 whether or not it has findings (``summary.clean`` says which); 400 for a malformed
community code or an unknown parameter, 404 for a community that does not exist.

Open to any caller for now, like the OGC API: the audit shows codes, outlines and counts
that the collections already publish, and no personal data. It should move behind the
auditor role once the dashboard sends tokens.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.deps import Analyst, SyncConnection
from app.params import check_known
from app.problems import problem_responses
from gis.codes import InvalidCode
from gis.errors import InvalidParameter
from gis.grids import audit as grid_audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

# The audit is a synchronous domain function: a plain ``def`` route runs on FastAPI's
# worker threads, off the event loop.


@router.get(
    "/grids",
    response_class=JSONResponse,
    responses=problem_responses(400, 401, 403, 404, 429, 503),
)
def audit_grids(request: Request, conn: SyncConnection, caller: Analyst) -> JSONResponse:
    """Audit the grid network of one community (``community``: 12-digit code) or of all:
    gaps, overlaps, grids crossing their community, buildings in no grid or split
    between grids, base grids outside the standard, grids without leader or members,
    invalid outlines and codes, each with codes, area (m²) and GeoJSON geometry."""
    params = check_known(request.query_params, ("community",))
    community = params.get("community")
    if community is not None and not community.startswith(caller.county_code):
        raise HTTPException(
            403, f"community {community} is outside the caller's county {caller.county_code}"
        )
    try:
        report = grid_audit.audit_grids(conn, community_code=params.get("community"))
    except InvalidCode as error:
        raise InvalidParameter("community", error.problem) from None
    return JSONResponse(report)
