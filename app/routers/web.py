"""The browser pages: the one map (一张图) at `/`, signing in at `/signin`, their assets,
and the vendored Leaflet.

The pages only draw: every feature they show comes from the OGC API at /ogc over HTTP.
All assets are served by this app from the checkout, never from a CDN, because the
deployments (and the test machines) have no internet access.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from app.commands.devdb import project_root

router = APIRouter(include_in_schema=False)


def _web_dir() -> Path:
    return project_root() / "web"


def _leaflet_dist() -> Path:
    return _web_dir() / "node_modules" / "leaflet" / "dist"


@router.api_route("/", methods=["GET", "HEAD"])
def one_map() -> FileResponse:
    return FileResponse(_web_dir() / "index.html", media_type="text/html; charset=utf-8")


@router.api_route("/signin", methods=["GET", "HEAD"])
def sign_in_page() -> FileResponse:
    """Where people sign in (POST /api/v1/session sets their session cookie)."""
    return FileResponse(_web_dir() / "signin.html", media_type="text/html; charset=utf-8")


# The other libraries the pages import, each published from its own distribution folder
# in web/node_modules (installed by `make setup` from web/package.json) at /vendor/<name>.
VENDORED = {
    # the events' clusters (web/layers/events.js)
    "leaflet.markercluster": "leaflet.markercluster/dist",
    # the analysis panel's charts, imported only when the charts are opened
    "echarts": "echarts/dist",
    # the GCJ-02 shift of the overlays on a Chinese web basemap (web/core/datum.js)
    "gcoord": "gcoord/dist",
    # the grids and buildings drawn from the vector tiles (web/layers/tiles.js)
    "leaflet.vectorgrid": "leaflet.vectorgrid/dist",
}


class _PageAssets(StaticFiles):
    """web/ as written by us: npm's node_modules and manifests are not page assets
    (Leaflet is published once, at /vendor/leaflet, from its dist folder only)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        top = PurePosixPath(path).parts[:1]
        if top and (top[0] == "node_modules" or top[0].startswith("package")):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def mount_static(app: FastAPI) -> None:
    """Mount the page assets at /static and Leaflet's dist files at /vendor/leaflet.

    Raises RuntimeError when Leaflet is not installed: a page that loads without its map
    library fails in the browser, far from the cause, so the server refuses to start.
    """
    leaflet = _leaflet_dist()
    if not (leaflet / "leaflet.js").is_file():
        raise RuntimeError(
            f"Leaflet is not installed ({leaflet / 'leaflet.js'} is missing): "
            "run `make setup` (which runs `npm ci --prefix web`) before starting the server"
        )
    app.mount("/vendor/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    for library, folder in VENDORED.items():
        published = _web_dir() / "node_modules" / folder
        if not published.is_dir():
            raise RuntimeError(
                f"{library} is not installed ({published} is missing): run `make setup`"
                " (which runs `npm ci --prefix web`) before starting the server"
            )
        app.mount(f"/vendor/{library}", StaticFiles(directory=published), name=library)
    app.mount("/static", _PageAssets(directory=_web_dir()), name="static")
