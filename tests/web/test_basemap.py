"""A basemap under the one map, in a real headless Chromium: none by default (the page
asks nothing of anyone but its own server); a configured one is drawn, and on a GCJ-02
basemap every overlay is shifted onto it exactly as the import path's conversion
(gis/crs.py) shifts a point, while the APIs are still asked for the WGS84 view."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser
from pydantic import ValidationError

from app.commands.launch import served
from app.settings import Settings
from gis.crs import gcj02_to_wgs84, wgs84_to_gcj02
from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened

# A 1×1 grey PNG: what the stand-in basemap answers for every tile.
TILE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4BwAA5gDlqqf1SAAAAABJRU5ErkJggg=="
)


class _Tiles(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(TILE_PNG)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(TILE_PNG)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """A stand-in basemap: any tile, a grey pixel; the paths it was asked for."""
    asked: ClassVar[list[str]] = []
    handler = type("Tiles", (_Tiles,), {"asked": asked})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()


@pytest.fixture(scope="module")
def on_gcj02(
    database_url: str, demo_district: dict[str, int], tile_server: tuple[str, list[str]]
) -> Iterator[str]:
    """The service configured with a GCJ-02 basemap."""
    env = {
        "ONEMAP_BASEMAP_URL": tile_server[0] + "/{z}/{x}/{y}.png",
        "ONEMAP_BASEMAP_DATUM": "gcj02",
        "ONEMAP_BASEMAP_ATTRIBUTION": "测试底图",
        "ONEMAP_BASEMAP_MAX_ZOOM": "18",
    }
    with served(database_url, env=env) as base:
        yield base


def _first_grid(onemap: OneMap) -> tuple[str, list[float]]:
    """A drawn grid's code and the first vertex of its outline as the map holds it."""
    return onemap.page.evaluate(
        """() => {
            const grid = window.onemap.layers.grids.getLayers()[0];
            let ring = grid.getLatLngs();
            while (Array.isArray(ring[0])) ring = ring[0];
            return [String(grid.feature.id), [ring[0].lng, ring[0].lat]];
        }"""
    )


def _served_vertex(server: str, grid_code: str) -> tuple[float, float]:
    feature = httpx.get(f"{server}/ogc/collections/grids/items/{grid_code}", timeout=30).json()
    polygon = feature["geometry"]["coordinates"][0]
    lon, lat = polygon[0][0]
    return lon, lat


def test_the_basemap_api_says_none_by_default_and_refuses_unknown_parameters(server: str):
    assert httpx.get(f"{server}/api/v1/basemap").json() == {"basemap": None}
    refused = httpx.get(f"{server}/api/v1/basemap", params={"datum": "gcj02"})
    assert refused.status_code == 400 and "datum" in refused.text


def test_a_datum_other_than_wgs84_or_gcj02_is_refused_at_start():
    with pytest.raises(ValidationError, match="basemap_datum"):
        Settings(basemap_url="http://tiles.example/{z}/{x}/{y}.png", basemap_datum="bd09")


def test_without_a_basemap_nothing_is_shifted(browser: Browser, server: str) -> None:
    with _opened(browser, server) as onemap:
        assert onemap.page.evaluate("() => window.onemap.datum()") == "wgs84"
        assert onemap.page.locator(".leaflet-tile").count() == 0
        code, drawn = _first_grid(onemap)
        assert drawn == pytest.approx(_served_vertex(server, code), abs=1e-12)


def test_on_a_gcj02_basemap_every_overlay_is_shifted_as_the_import_path_shifts(
    browser: Browser, on_gcj02: str, tile_server: tuple[str, list[str]]
) -> None:
    answer = httpx.get(f"{on_gcj02}/api/v1/basemap").json()["basemap"]
    assert answer["datum"] == "gcj02" and answer["max_zoom"] == 18
    with _opened(browser, on_gcj02) as onemap:
        page = onemap.page
        assert page.evaluate("() => window.onemap.datum()") == "gcj02"
        # the basemap is drawn from its own server, with its attribution
        page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length > 0")
        assert any(path.endswith(".png") for path in tile_server[1])
        assert "测试底图" in page.inner_text(".leaflet-control-attribution")

        # a grid's vertex lies where gis.crs puts the served WGS84 vertex in GCJ-02
        code, drawn = _first_grid(onemap)
        lon, lat = _served_vertex(on_gcj02, code)
        shifted = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        expected = (float(shifted[0][0]), float(shifted[1][0]))
        assert drawn == pytest.approx(expected, abs=1e-9)
        # around Nanning the shift is hundreds of metres: the test would see a missed shift
        assert abs(drawn[0] - lon) > 0.003

        # the view asked of the APIs is the map's (padded as the grids' source pads it:
        # web/layers/grids.js), turned back into WGS84; the layer put back loads anew
        loaded = page.evaluate(
            """() => {
                const { map, layers, nextLoad } = window.onemap;
                const next = nextLoad("grids");
                map.removeLayer(layers.grids);
                map.addLayer(layers.grids);
                return next;
            }"""
        )
        padded = page.evaluate(
            """() => { const b = window.onemap.map.getBounds().pad(1);
                       return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""
        )
        west, south = gcj02_to_wgs84(np.array([padded[0]]), np.array([padded[1]]))
        east, north = gcj02_to_wgs84(np.array([padded[2]]), np.array([padded[3]]))
        asked = [float(value) for value in loaded["bbox"].split(",")]
        wgs84 = [float(west[0]), float(south[0]), float(east[0]), float(north[0])]
        assert asked == pytest.approx(wgs84, abs=2e-6)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "basemap-gcj02.png"))
