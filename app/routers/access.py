"""Walking access to service centres at the HTTP edge (docs/access.md, "Service areas,
coverage, standards and siting"):

- ``GET /api/v1/access/coverage?minutes=15&group_by=community`` households, residents
  and buildings inside the service areas, per community, subdistrict or county;
- ``GET /api/v1/access/areas?minutes=15`` the service areas, a GeoJSON layer;
- ``GET /api/v1/access/uncovered?minutes=15`` buildings with households no area reaches,
  a GeoJSON layer;
- ``GET /api/v1/access/standards`` centres against their level's area and rooms;
- ``GET /api/v1/access/sites?k=3&minutes=15`` where k new centres would reach the most
  uncovered households (or ``target_pct=95``: the fewest that reach the target; 422 when
  no choice of candidates does).

Common parameters: ``scope`` (a county, subdistrict or community code), ``level`` (centre
levels whose areas count, comma-separated). 400 naming the parameter for a bad value or an
unknown parameter. Open to any caller like the audit: counts and outlines, no personal
data. Answers drawn from stale or straight-line areas say so in ``caveats``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import Analyst, SyncConnection, SyncReadConnection
from app.params import (
    check_known,
    parse_bbox,
    parse_boolean,
    parse_integer,
    parse_list,
    parse_paging,
)
from app.problems import problem_responses
from app.responses import GeoJSONResponse
from gis.access import standards as access_standards
from gis.access.coverage import (
    DEFAULT_UNCOVERED_LIMIT,
    area_layer,
    coverage_report,
    uncovered_layer,
)
from gis.access.siting import suggest_sites
from gis.errors import InvalidParameter

router = APIRouter(
    prefix="/api/v1/access", tags=["access"], responses=problem_responses(400, 404, 503)
)
GEOJSON = "application/geo+json"

# The analyses are synchronous domain functions (gis.access.coverage says why): their
# routes are plain ``def``, which FastAPI runs on worker threads, off the event loop.


@router.get("/coverage", response_class=JSONResponse)
def coverage(request: Request, conn: SyncReadConnection) -> JSONResponse:
    """Of the buildings in ``scope``, the households, residents and buildings inside at
    least one ``minutes``-minute service area (5, 10 or 15; default 15), per
    ``group_by`` (community, subdistrict or county; default community), with totals,
    percentages and caveats."""
    params = check_known(request.query_params, ("minutes", "group_by", "scope", "level"))
    report = coverage_report(
        conn,
        minutes=_minutes(params),
        group_by=params.get("group_by", "community"),
        scope=params.get("scope"),
        levels=_levels(params),
    )
    return JSONResponse(report.as_dict())


@router.get("/areas", response_class=GeoJSONResponse)
def areas(request: Request, conn: SyncReadConnection) -> JSONResponse:
    """The ``minutes``-minute service areas of the centres in ``scope`` (or of one
    ``center_id``), each with its method (network or straight_line), distance and the
    buildings, households and residents it holds; ``bbox`` (min lon, min lat, max lon,
    max lat) keeps those reaching into a map's view."""
    params = check_known(request.query_params, ("minutes", "scope", "level", "center_id", "bbox"))
    layer = area_layer(
        conn,
        minutes=_minutes(params),
        scope=params.get("scope"),
        levels=_levels(params),
        center_id=parse_integer("center_id", params.get("center_id")),
        bbox=parse_bbox("bbox", params.get("bbox")),
    )
    return JSONResponse(layer, media_type=GEOJSON)


@router.get("/uncovered", response_class=GeoJSONResponse)
def uncovered(request: Request, conn: SyncReadConnection) -> JSONResponse:
    """Buildings with households in ``scope`` outside every ``minutes``-minute area, most
    households first (at most ``limit``, default 10,000; ``numberMatched`` counts all),
    each with the nearest centre as the crow flies; ``bbox`` keeps those in a view."""
    params = check_known(request.query_params, ("minutes", "scope", "level", "limit", "bbox"))
    # limit=0 answers the counts alone; the ceiling is the library's to check.
    paging = parse_paging(
        params, default_limit=DEFAULT_UNCOVERED_LIMIT, max_limit=None, min_limit=0
    )
    layer = uncovered_layer(
        conn,
        minutes=_minutes(params),
        scope=params.get("scope"),
        levels=_levels(params),
        limit=paging.limit,
        bbox=parse_bbox("bbox", params.get("bbox")),
    )
    return JSONResponse(layer, media_type=GEOJSON)


@router.get(
    "/standards",
    response_class=JSONResponse,
    # format=geojson: the centres as points
    responses={200: {"content": {GEOJSON: {}}}},
)
def standards(request: Request, conn: SyncReadConnection) -> JSONResponse:
    """Each centre in ``scope`` (of one ``level``) against its level's standard: area
    required and shortfall in m², missing basic rooms of "4+X". ``compliant=true|false``
    keeps one side; ``format=geojson`` gives the centres as points for the map."""
    params = check_known(request.query_params, ("scope", "level", "compliant", "format"))
    answer_format = params.get("format", "json")
    if answer_format not in ("json", "geojson"):
        raise InvalidParameter("format", f"json or geojson, not {answer_format!r}")
    centres = access_standards.check_standards(
        conn,
        scope=params.get("scope"),
        level=params.get("level"),
        compliant=parse_boolean("compliant", params.get("compliant")),
    )
    if answer_format == "geojson":
        return JSONResponse(access_standards.as_geojson(centres), media_type=GEOJSON)
    body: dict[str, Any] = {
        "standards": {
            "community_centre_min_m2": access_standards.COMMUNITY_CENTRE_MIN_M2,
            "compound_centre_min_m2": access_standards.COMPOUND_CENTRE_MIN_M2,
            "compound_centre_m2_per_100_households": (
                access_standards.COMPOUND_CENTRE_M2_PER_100_HOUSEHOLDS
            ),
            "basic_rooms": list(access_standards.BASIC_ROOMS),
        },
        "summary": [s.as_dict() for s in access_standards.summarise(centres)],
        "centres": [c.as_dict() for c in centres],
    }
    return JSONResponse(body)


@router.get("/sites", response_class=JSONResponse, responses=problem_responses(401, 403, 422, 429))
def sites(request: Request, conn: SyncConnection, caller: Analyst) -> JSONResponse:
    """Sites for new centres, ranked by the uncovered households each adds: ``k`` sites
    (maximal covering) or the fewest reaching ``target_pct`` of the households; among
    ``candidates`` (building codes, comma-separated) or the buildings of
    ``candidate_uses`` (default public,commercial) in ``scope``."""
    params = check_known(
        request.query_params,
        ("k", "target_pct", "minutes", "scope", "level", "candidates", "candidate_uses"),
    )
    target = params.get("target_pct")
    try:
        target_pct = None if target is None else float(target)
    except ValueError:
        raise InvalidParameter("target_pct", f"expected a percentage, got {target!r}") from None
    candidates = params.get("candidates")
    uses = params.get("candidate_uses")
    keywords: dict[str, Any] = {
        "k": parse_integer("k", params.get("k")),
        "target_pct": target_pct,
        "minutes": _minutes(params),
        "candidates": None if candidates is None else parse_list(candidates),
        "scope": params.get("scope"),
        "levels": _levels(params),
    }
    if uses is not None:
        keywords["candidate_uses"] = parse_list(uses)
    # Siting is synchronous work of seconds (drawing every candidate's area, solving the
    # model): a plain route, so it runs on a worker thread like the other analyses.
    settings = request.app.state.settings
    result = suggest_sites(
        conn,
        speed_kmh=settings.walking_speed_kmh,
        buffer_m=settings.service_area_buffer_m,
        **keywords,
    )
    return JSONResponse(result.as_dict())


def _minutes(params: dict[str, str]) -> int:
    # Which minutes are stored is the domain's to say (5, 10 or 15).
    return parse_integer("minutes", params.get("minutes"), default=15)


def _levels(params: dict[str, str]) -> list[str] | None:
    raw = params.get("level")
    if raw is None:
        return None
    levels = parse_list(raw)
    if not levels:
        raise InvalidParameter("level", "empty; give centre levels separated by commas")
    return levels
