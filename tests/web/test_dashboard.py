"""The one map page (一张图) at `/` in a real headless Chromium, against the demo district
served by a real uvicorn. The page must draw only what the OGC API serves, load nothing
from outside the server's origin, and never turn feature text into markup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

VIEWPORT = {"width": 1280, "height": 800}
# The page's own limits (web/layers/buildings.js): buildings from this zoom, at most this many.
BUILDING_MIN_ZOOM = 16
BUILDING_CAP = 3000
# Where the screenshots the tests take are kept, to be looked at after a run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".onemap" / "screenshots"


@dataclass
class PageLog:
    """Everything the page asked for and everything that went wrong while it ran."""

    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_request_failed(self, request: Request) -> None:
        # The page aborts the loads of a view it has left (web/core/loader.js): by design,
        # not a failure.
        if request.failure != "net::ERR_ABORTED":
            self.failures.append(f"request failed: {request.url} ({request.failure})")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failures.append(f"HTTP {response.status}: {response.url}")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.failures.append(f"console error: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.failures.append(f"page error: {error}")


@dataclass
class OneMap:
    page: Page
    log: PageLog
    counts: dict[str, int]


@contextmanager
def _opened(
    browser: Browser, base: str, path: str = "/?draw=geojson", viewport: dict[str, int] = VIEWPORT
) -> Iterator[OneMap]:
    """The page, loaded and fitted to the grids. On leaving, fails on any console error or
    failed request, including ones that happened after the caller's own assertions.

    The page draws the grids and buildings from vector tiles unless asked for GeoJSON;
    these tests read the GeoJSON layers' paths (the tiled ones: test_tiles_layers.py)."""
    page = browser.new_page(viewport=viewport)
    log = PageLog()
    page.on("request", log.on_request)
    page.on("requestfailed", log.on_request_failed)
    page.on("response", log.on_response)
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    try:
        page.goto(base + path)
        counts = page.evaluate("() => window.onemap.ready")
        yield OneMap(page, log, counts)
        assert log.failures == []
    finally:
        page.close()


@contextmanager
def _opened_signed_in(
    browser: Browser, base: str, login: str, password: str, viewport: dict[str, int] = VIEWPORT
) -> Iterator[OneMap]:
    """The map, opened by someone after signing in through the sign-in page."""
    with _opened(browser, base, viewport=viewport) as onemap:
        page = onemap.page
        page.goto(f"{base}/signin")
        page.fill("#login", login)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("#signin-button")
        page.evaluate("() => window.onemap.ready")
        # the sign-in page asks first whether someone is signed in already: the one refused
        # request (and the console's word for it) is that page's, not the map's
        assert onemap.log.failures == [
            f"HTTP 401: {base}/api/v1/session",
            "console error: Failed to load resource: the server responded with a status of 401"
            " (Unauthorized)",
        ]
        onemap.log.failures.clear()
        yield onemap


@pytest.fixture
def onemap(browser: Browser, server: str) -> Iterator[OneMap]:
    with _opened(browser, server) as loaded:
        yield loaded


def _view_bounds(page: Page) -> list[float]:
    return page.evaluate(
        "() => { const b = window.onemap.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )


def _drawn_grid_codes(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "path.onemap-grid", "paths => paths.map(p => p.getAttribute('data-grid-code'))"
    )


def test_page_loads_everything_from_its_own_origin(onemap: OneMap, server: str) -> None:
    origin = urlsplit(server)
    assert onemap.log.requests, "the page made no requests"
    foreign = [
        url
        for url in onemap.log.requests
        if (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert foreign == []
    paths = [urlsplit(url).path for url in onemap.log.requests]
    # Leaflet as an ES module, and the page's own modules as they are in web/ (no build).
    assert "/vendor/leaflet/leaflet-src.esm.js" in paths
    web = Path(__file__).resolve().parents[2] / "web"
    modules = {f"/static/{m.relative_to(web)}" for m in web.glob("[cl]*/*.js")}
    assert {"/static/core/fetch.js", "/static/layers/index.js"} <= modules
    assert modules | {"/static/main.js"} <= set(paths)
    assert any(p.startswith("/ogc/collections/grids/items") for p in paths)
    # Data comes only from the OGC API and the events API (the events layer, the queue and
    # the live feed), with the basemap's configuration (none here); everything else is the
    # page and its assets.
    allowed = (
        "/ogc/",
        "/api/v1/events",
        "/api/v1/basemap",
        "/api/v1/area",
        "/static/",
        "/vendor/leaflet/",
        "/vendor/leaflet.markercluster/",
        "/vendor/gcoord/",
        "/vendor/leaflet.vectorgrid/",
    )
    assert [p for p in paths if p != "/" and not p.startswith(allowed)] == []
    assert onemap.page.title() == "江南区 一张图"


def test_every_grid_in_view_is_drawn(onemap: OneMap, server: str, database_url: str) -> None:
    west, south, east, north = _view_bounds(onemap.page)
    with psycopg.connect(database_url) as conn:
        in_view = {
            code
            for (code,) in conn.execute(
                "SELECT rtrim(grid_code) FROM grids"
                " WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
                (west, south, east, north),
            )
        }
        total = conn.execute("SELECT count(*) FROM grids").fetchone()[0]
    api = httpx.get(
        f"{server}/ogc/collections/grids/items",
        params={"bbox": f"{west},{south},{east},{north}", "limit": 1},
    ).json()

    drawn = _drawn_grid_codes(onemap.page)
    assert len(in_view) > 0
    # Fitted to the grids' extent, so every grid of the district is in view.
    assert len(in_view) == total
    assert len(drawn) == len(set(drawn)) == len(in_view) == api["numberMatched"]
    assert set(drawn) == in_view
    assert onemap.counts["grids"] == total


def test_the_river_is_drawn_over_the_grids(onemap: OneMap, server: str) -> None:
    """The 邕江 (water_areas) is drawn, one path per area the API serves, above the grids
    that tile it and named in the legend."""
    api = httpx.get(f"{server}/ogc/collections/water_areas/items", params={"limit": 10}).json()
    assert api["numberMatched"] >= 1
    page = onemap.page
    assert page.locator("path.onemap-water").count() == api["numberMatched"]
    assert onemap.counts["water"] == api["numberMatched"]
    above = page.evaluate(
        "() => Number(window.onemap.map.getPane('water').style.zIndex)"
        " > Number(window.onemap.map.getPane('grids').style.zIndex)"
    )
    assert above
    assert "水域" in page.locator(".onemap-legend").inner_text()


@pytest.fixture
def grid_named_with_markup(database_url: str) -> Iterator[dict[str, object]]:
    """A grid whose name carries `<b>`, with a point well inside it and no other grid.

    The name is changed (and restored) rather than a grid inserted, because demo grids
    tile their communities: a new grid would overlap one and make the hover ambiguous."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # The centre of the largest circle inside the part of a grid that no other grid and
        # no building covers: the point farthest from any edge, so a neighbour's stroke or a
        # building (drawn above the grids when zoomed in) never takes the mouse.
        code, lng, lat, name = conn.execute(
            """
            WITH cover AS (
                SELECT g.grid_code, g.name, g.geom, (
                    SELECT ST_Union(o.geom) FROM (
                        SELECT geom FROM grids WHERE grid_code <> g.grid_code AND geom && g.geom
                        UNION ALL
                        SELECT geom FROM buildings WHERE geom && g.geom) AS o) AS others
                FROM grids g
            ), own AS (
                SELECT grid_code, name,
                       ST_Transform(COALESCE(ST_Difference(geom, others), geom), 4545) AS geom
                FROM cover
            ), circle AS (
                SELECT grid_code, name, ST_MaximumInscribedCircle(geom) AS c
                FROM own WHERE NOT ST_IsEmpty(geom)
            )
            SELECT rtrim(grid_code), ST_X(ST_Transform((c).center, 4326)),
                   ST_Y(ST_Transform((c).center, 4326)), name
            FROM circle ORDER BY (c).radius DESC, grid_code LIMIT 1
            """
        ).fetchone()
        marked = f"<b>加粗</b>{name}"
        conn.execute("UPDATE grids SET name = %s WHERE grid_code = %s", (marked, code))
        try:
            yield {"grid_code": code, "name": marked, "lat": lat, "lng": lng}
        finally:
            conn.execute("UPDATE grids SET name = %s WHERE grid_code = %s", (name, code))


def _screen_point(page: Page, lat: float, lng: float) -> tuple[float, float]:
    x, y = page.evaluate(
        "([lat, lng]) => { const map = window.onemap.map;"
        " const p = map.latLngToContainerPoint([lat, lng]);"
        " const box = map.getContainer().getBoundingClientRect();"
        " return [box.left + p.x, box.top + p.y]; }",
        [lat, lng],
    )
    return x, y


def test_hover_shows_grid_and_click_zooms_with_text_only_popup(
    browser: Browser, server: str, grid_named_with_markup: dict[str, object]
) -> None:
    grid = grid_named_with_markup
    # Opened after the rename, so the page reads the marked-up name from the API.
    with _opened(browser, server) as onemap:
        page = onemap.page
        # Centre the point, so no control panel sits over it.
        page.evaluate(
            "([lat, lng]) => window.onemap.map.setView([lat, lng],"
            " window.onemap.map.getZoom(), {animate: false})",
            [grid["lat"], grid["lng"]],
        )
        x, y = _screen_point(page, grid["lat"], grid["lng"])
        under_mouse = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-grid-code')", [x, y]
        )
        assert under_mouse == grid["grid_code"]

        page.mouse.move(x, y)
        info = page.locator(".onemap-info")
        name = info.locator(".onemap-info-name")
        assert name.text_content() == grid["name"]
        assert info.locator("b").count() == 0
        assert grid["grid_code"] in info.inner_text()

        zoom_before = page.evaluate("() => window.onemap.map.getZoom()")
        page.mouse.click(x, y)
        page.wait_for_function("z => window.onemap.map.getZoom() > z", arg=zoom_before)
        title = page.locator(".leaflet-popup-content h3")
        assert title.text_content() == grid["name"]
        # Escaped, not parsed: the popup holds the characters `<b>`, not a <b> element.
        assert "&lt;b&gt;" in title.inner_html()
        assert page.locator(".leaflet-popup-content b").count() == 0
        fitted = page.evaluate(
            "code => { const grid = window.onemap.layers.grids.getLayers()"
            ".find(layer => layer.feature.properties.grid_code === code);"
            " return window.onemap.map.getBounds().contains(grid.getBounds()); }",
            grid["grid_code"],
        )
        assert fitted


def test_buildings_load_for_the_view_when_zoomed_in(
    onemap: OneMap, server: str, database_url: str
) -> None:
    page = onemap.page
    if page.evaluate("() => window.onemap.map.getZoom()") < BUILDING_MIN_ZOOM:
        assert page.locator("path.onemap-building").count() == 0
    with psycopg.connect(database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings"
            " ORDER BY building_code LIMIT 1) AS first"
        ).fetchone()
    # Listen before moving: the load for the new view is the first one after setView.
    loaded = page.evaluate(
        """([lat, lng, zoom]) => {
            const loaded = window.onemap.nextLoad("buildings");
            window.onemap.map.setView([lat, lng], zoom, {animate: false});
            return loaded;
        }""",
        [lat, lng, BUILDING_MIN_ZOOM + 1],
    )

    requests = [url for url in onemap.log.requests if "/collections/buildings/items" in url]
    # Every page of buildings is asked for with a bbox and a limit, never the whole district.
    for url in requests:
        query = parse_qs(urlsplit(url).query)
        assert "bbox" in query and "limit" in query, url
    west, south, east, north = (float(value) for value in loaded["bbox"].split(","))
    assert west < lng < east and south < lat < north
    api = httpx.get(
        f"{server}/ogc/collections/buildings/items",
        params={"bbox": loaded["bbox"], "limit": 1},
    ).json()
    expected = min(api["numberMatched"], BUILDING_CAP)
    assert expected > 0
    assert loaded["drawn"] == expected
    assert page.locator("path.onemap-building").count() == expected


def test_screenshot_shows_the_map(onemap: OneMap) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "district.png"
    onemap.page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 20_000
    # Decode it in the browser (no image library needed): a drawn map has many colours,
    # and the plain background (map.css, #f4f1ea) shows only outside the district: at
    # least nine tenths of the screen the grids cover (their rings projected to the
    # screen, by the shoelace formula) is drawn.
    statistics = onemap.page.evaluate(
        """async (bytes) => {
            const image = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
            const canvas = new OffscreenCanvas(image.width, image.height);
            const context = canvas.getContext("2d");
            context.drawImage(image, 0, 0);
            const pixels = context.getImageData(0, 0, image.width, image.height).data;
            const colours = new Set();
            let background = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
                if (pixels[i] === 0xf4 && pixels[i + 1] === 0xf1 && pixels[i + 2] === 0xea) {
                    background += 1;
                }
            }
            const map = window.onemap.map;
            let covered = 0;
            window.onemap.layers.grids.eachLayer((grid) => {
                const latLngs = grid.getLatLngs();
                const polygons = Array.isArray(latLngs[0][0]) ? latLngs : [latLngs];
                for (const polygon of polygons) {
                    for (const [index, ring] of polygon.entries()) {
                        const points = ring.map((at) => map.latLngToContainerPoint(at));
                        let twice = 0;
                        points.forEach((p, i) => {
                            const q = points[(i + 1) % points.length];
                            twice += p.x * q.y - q.x * p.y;
                        });
                        // a polygon's first ring is its outline, the others its holes
                        covered += (index === 0 ? 1 : -1) * Math.abs(twice) / 2;
                    }
                }
            });
            const screen = map.getSize();
            return {colours: colours.size, backgroundShare: background / (pixels.length / 4),
                    districtShare: covered / (screen.x * screen.y)};
        }""",
        list(shot.read_bytes()),
    )
    assert statistics["colours"] >= 32
    assert 0.15 < statistics["districtShare"] < 1
    assert statistics["backgroundShare"] < 1 - 0.9 * statistics["districtShare"]


def test_service_areas_and_uncovered_buildings_layers(onemap: OneMap, server: str) -> None:
    """Ticking 服务圈 draws one area per centre as the access API serves them; choosing 5
    minutes redraws them and 未覆盖楼栋 draws the buildings that API lists as uncovered."""
    page = onemap.page
    assert page.locator("path.onemap-service-area").count() == 0  # off until ticked

    def tick(layer: str, minutes: int | None = None) -> dict[str, object]:
        return page.evaluate(
            """([layer, minutes]) => {
                const loaded = window.onemap.nextLoad(layer);
                if (minutes === null) {
                    window.onemap.map.addLayer(window.onemap.layers[layer]);
                } else {
                    const select = document.getElementById("onemap-minutes");
                    select.value = String(minutes);
                    select.dispatchEvent(new Event("change"));
                }
                return loaded;
            }""",
            [layer, minutes],
        )

    def served(path: str, minutes: int, bbox: object = None) -> dict:
        params = {"minutes": minutes, **({"bbox": bbox} if bbox else {})}
        answer = httpx.get(f"{server}/api/v1/access/{path}", params=params, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    fifteen = tick("serviceAreas")
    areas = served("areas", 15, fifteen["bbox"])
    assert fifteen["key"] == "15"
    assert fifteen["drawn"] == len(areas["features"])
    # the first view holds the whole district, so every centre's area
    assert len(areas["features"]) == len(served("areas", 15)["features"]) > 400
    assert page.locator("path.onemap-service-area").count() == len(areas["features"])
    five = tick("serviceAreas", 5)
    assert five["key"] == "5" and five["drawn"] == len(areas["features"])
    missed = tick("uncovered")
    assert missed["key"] == "5"
    assert missed["drawn"] == served("uncovered", 5, missed["bbox"])["numberReturned"] > 0

    # Ticked again zoomed into one corner, the layers hold what reaches into that view
    # (padded), as the API answers for it; moving to the far corner reloads them.
    def both_loaded(move: str) -> dict[str, dict[str, object]]:
        return page.evaluate(
            """async (move) => {
                const map = window.onemap.map;
                const { serviceAreas, uncovered } = window.onemap.layers;
                const loads = [window.onemap.nextLoad("serviceAreas"),
                               window.onemap.nextLoad("uncovered")];
                const district = window.onemap.layers.communities.getBounds();
                if (move === "southwest") {
                    map.removeLayer(serviceAreas);
                    map.removeLayer(uncovered);
                    map.setView(district.getSouthWest(), 16, { animate: false });
                    map.addLayer(serviceAreas);
                    map.addLayer(uncovered);
                } else {
                    map.setView(district.getNorthEast(), 16, { animate: false });
                }
                const [areas, missed] = await Promise.all(loads);
                return { areas, uncovered: missed };
            }""",
            move,
        )

    for move in ("southwest", "northeast"):
        view = both_loaded(move)
        near = served("areas", 5, view["areas"]["bbox"])
        assert view["areas"]["drawn"] == len(near["features"]) < len(areas["features"]), move
        assert page.locator("path.onemap-service-area").count() == view["areas"]["drawn"]
        near_missed = served("uncovered", 5, view["uncovered"]["bbox"])
        assert view["uncovered"]["drawn"] == near_missed["numberReturned"], move


def test_labels_come_from_the_vocabulary(onemap: OneMap, server: str) -> None:
    """The legend and the grid popups name grid types and dedicated kinds as the
    service's vocabulary does (/api/v1/vocabulary), e.g. 专属网格（商圈市场）."""
    body = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    types = {t["value"]: t["zh"] for t in body["grid_types"]["terms"]}
    kinds = {t["value"]: t["zh"] for t in body["dedicated_kinds"]["terms"]}
    legend = onemap.page.locator(".onemap-legend").inner_text()
    assert types["base"] in legend and types["dedicated"] in legend
    # One popup per dedicated kind drawn: its 类型 row.
    shown = onemap.page.evaluate(
        """() => {
            const shown = {};
            for (const layer of window.onemap.layers.grids.getLayers()) {
                const kind = layer.feature.properties.dedicated_kind;
                if (!kind || kind in shown) continue;
                layer.openPopup();
                // this layer's popup: a closed one fades out of the DOM only later
                const rows = [...layer.getPopup().getElement().querySelectorAll("dt")];
                shown[kind] = rows.find((dt) => dt.textContent === "类型")
                    .nextElementSibling.textContent;
                layer.closePopup();
            }
            return shown;
        }"""
    )
    assert len(shown) >= 3 and set(shown) <= set(kinds)
    for kind, text in shown.items():
        assert text == f"{types['dedicated']}（{kinds[kind]}）"
