"""The one map's basemap, as this deployment configures it (ONEMAP_BASEMAP_*).

``GET /api/v1/basemap``: ``{"basemap": null}`` when there is none (the default, so the
page works offline), else its tile URL template, its datum, attribution and deepest zoom.
The datum is what the page needs to line the overlays up: on a GCJ-02 basemap it shifts
every feature it draws from WGS84 to GCJ-02, and the view back before asking for data.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app.params import check_known

router = APIRouter(prefix="/api/v1", tags=["map"])


@router.get(
    "/basemap",
    summary="The basemap under the one map, and the datum its tiles are drawn in",
    description=(
        "`basemap` is null when the deployment has none; otherwise `url` (an XYZ tile "
        "template), `datum` (`wgs84`, or `gcj02` for the Chinese web maps, whose tiles "
        "lie a few hundred metres off WGS84), `attribution` and `max_zoom`."
    ),
)
def basemap(request: Request) -> dict[str, Any]:
    check_known(request.query_params, ())
    settings = request.app.state.settings
    if not settings.basemap_url:
        return {"basemap": None}
    return {
        "basemap": {
            "url": settings.basemap_url,
            "datum": settings.basemap_datum,
            "attribution": settings.basemap_attribution,
            "max_zoom": settings.basemap_max_zoom,
        }
    }
