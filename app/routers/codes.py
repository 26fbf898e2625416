"""The one code (一套编码) at the HTTP edge: look a place up by its code, search places.

``GET /api/v1/codes/{code}`` answers the place any code names (county to unit) as a
GeoJSON Feature with its parents; ``GET /api/v1/search`` finds places by code prefix or
by name, and compounds (小区, which have no code) by name or id; ``GET /api/v1/area``
names what the map covers (the page's title). The work is in gis/places/; this module
parses the query string.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import Connection
from app.params import check_known, documented, parse_list, parse_paging
from app.problems import problem_responses
from app.responses import GeoJSONResponse
from gis import places
from gis.errors import InvalidParameter
from gis.places import area

router = APIRouter(prefix="/api/v1", tags=["codes"], responses=problem_responses(400, 503))

GEOJSON = "application/geo+json"
SEARCH_PARAMETERS = ("q", "level", "limit")


@router.get("/codes/{code}", response_class=GeoJSONResponse, responses=problem_responses(404))
async def place_by_code(code: str, request: Request, conn: Connection) -> JSONResponse:
    """The place a code names (any level; legacy 14-digit grid codes accepted)."""
    check_known(request.query_params, ())
    return JSONResponse(await places.unit(conn, code), media_type=GEOJSON)


@router.get(
    "/area",
    summary="What the map covers: its one county, the city its counties share, or their count",
    description=(
        "`level` is `county` (one county: its `code` and `name`), `city` (several counties "
        "of one city whose name the division codes know: the city's six-digit `code` and "
        "`name`), `counties` (several counties of no one known city: `code` and `name` "
        "null) or null for a database with no county yet; `counties` says how many."
    ),
)
async def covered_area(request: Request, conn: Connection) -> dict[str, object]:
    check_known(request.query_params, ())
    return await area.covered(conn)


@router.get(
    "/search",
    response_class=JSONResponse,
    openapi_extra={
        "parameters": [
            documented(
                "q",
                {"type": "string", "minLength": 1, "maxLength": places.MAX_QUERY_LENGTH},
                "a code prefix, a compound's id or part of a name",
                required=True,
            ),
            documented(
                "level",
                {"type": "string"},
                "levels, comma-separated: " + ", ".join(places.SEARCH_LEVELS),
            ),
            documented("limit", {"type": "integer", "minimum": 1, "maximum": places.MAX_LIMIT}),
        ]
    },
)
async def search(request: Request, conn: Connection) -> JSONResponse:
    """Places by code prefix or name, compounds by name or id: ``q`` (1–50 characters),
    ``level`` (comma-separated: county, township, community, grid, compound, building,
    unit), ``limit`` (1–100, default 20). A compound's ``code`` in the results is its id,
    for ``/places/compounds/{id}``."""
    params = check_known(request.query_params, SEARCH_PARAMETERS)
    query = params.get("q")
    if query is None:
        raise InvalidParameter("q", "required: a code prefix or part of a name")
    levels = None
    if "level" in params:
        levels = parse_list(params["level"])
    paging = parse_paging(params, default_limit=places.DEFAULT_LIMIT, max_limit=places.MAX_LIMIT)
    results = await places.search(conn, query, levels=levels, limit=paging.limit)
    return JSONResponse({"query": query, "results": results, "numberReturned": len(results)})
