"""The grids and buildings drawn from the OGC API's vector tiles (web/layers/tiles.js) in a
real headless Chromium: for each view the page draws exactly the features the view's
tiles hold (the test fetches and decodes the same tiles), a click on a tiled grid opens
its panel, and nothing fails on the way (a tile with nothing in it is a 204, no failure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from tests.web.test_basemap import on_gcj02, tile_server  # noqa: F401 (fixtures)
from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened

TILE = "{server}/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}"
# the layer, its collection and the property that is a feature's id (its code)
TILED = {"grids": ("grids", "grid_code"), "buildings": ("buildings", "building_code")}


@pytest.fixture
def tiled(browser: Browser, server: str) -> Iterator[OneMap]:
    """The page as it opens by default: the big layers from tiles."""
    with _opened(browser, server, "/") as loaded:
        yield loaded


def _tiles_of(key: str) -> list[tuple[int, int, int]]:
    """The tiles named by a tiled layer's load key, "z/x0-x1/y0-y1"."""
    z, xs, ys = key.split("/")
    x0, x1 = (int(v) for v in xs.split("-"))
    y0, y1 = (int(v) for v in ys.split("-"))
    return [(int(z), x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _held_codes(server: str, layer: str, key: str) -> list[str]:
    """The codes of the features the view's tiles hold, as the server serves them."""
    collection, code = TILED[layer]
    codes: set[str] = set()
    for z, x, y in _tiles_of(key):
        url = TILE.format(server=server, collection=collection, z=z, x=x, y=y)
        answer = httpx.get(url, timeout=60)
        assert answer.status_code in (200, 204), (url, answer.status_code)
        if answer.status_code == 204:
            continue
        decoded = mapbox_vector_tile.decode(answer.content)
        codes.update(str(f["properties"][code]) for f in decoded[collection]["features"])
    return sorted(codes)


def _reload(
    page: Page, layers: list[str], view: tuple[list[float], float] | None = None
) -> list[dict[str, Any]]:
    """Moves the map to `view` (or takes the layers off and on again); each layer's next
    load as the loader reports it."""
    return page.evaluate(
        """([ids, view]) => {
            const { map, layers, nextLoad } = window.onemap;
            const loaded = Promise.all(ids.map((id) => nextLoad(id)));
            if (view) {
                map.setView(view[0], view[1], { animate: false });
            } else {
                for (const id of ids) {
                    map.removeLayer(layers[id]);
                    map.addLayer(layers[id]);
                }
            }
            return loaded;
        }""",
        [layers, view],
    )


def _drawn(page: Page, layer: str) -> tuple[list[str], set[str]]:
    """What the layer reports drawn, and the codes of the paths on the map."""
    ids = page.evaluate("id => window.onemap.layers[id].drawn.map(f => f.id).sort()", layer)
    class_name = {"grids": "onemap-grid", "buildings": "onemap-building"}[layer]
    paths = page.eval_on_selector_all(
        f"path.{class_name}", "paths => paths.map(p => p.getAttribute('data-code'))"
    )
    return ids, set(paths)


@pytest.fixture
def building_point(database_url: str) -> list[float]:
    with psycopg.connect(database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings"
            " ORDER BY building_code LIMIT 1) AS first"
        ).fetchone()
    return [lat, lng]


def test_the_tiled_layers_draw_exactly_what_their_tiles_hold(
    tiled: OneMap, server: str, building_point: list[float]
) -> None:
    page = tiled.page
    assert tiled.counts["grids"] > 0
    # the district as it opens, then off and on again: the same tiles, every grid in them
    (loaded,) = _reload(page, ["grids"])
    assert loaded["state"] == "loaded", loaded
    assert loaded["key"] == page.evaluate("() => window.onemap.layers.grids.viewKey()")
    held = _held_codes(server, "grids", loaded["key"])
    ids, paths = _drawn(page, "grids")
    assert len(held) > 0
    assert ids == held and loaded["drawn"] == len(held) == tiled.counts["grids"]
    assert paths == set(held)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tiles-district.png"))

    # close up, where buildings are drawn: the grids and the buildings of the new view
    outcomes = _reload(page, ["buildings", "grids"], (building_point, 16.5))
    for layer, loaded in zip(("buildings", "grids"), outcomes, strict=True):
        assert loaded["state"] == "loaded", (layer, loaded)
        assert loaded["key"].startswith("17/"), loaded  # 16.5 rounds to tiles of z17
        held = _held_codes(server, layer, loaded["key"])
        ids, paths = _drawn(page, layer)
        assert len(held) > 0, layer
        assert ids == held and loaded["drawn"] == len(held), layer
        # every feature the view's tiles hold has its path (tiles kept from the last view
        # may still show a few more)
        assert set(held) <= paths, layer
    page.screenshot(path=str(SCREENSHOTS / "tiles-buildings.png"))

    # out again below the buildings' zoom: none drawn, none asked for
    (loaded,) = _reload(page, ["buildings"], (building_point, 15.75))
    assert loaded == {"state": "zoomedOut", "minZoom": 16}
    assert page.locator("path.onemap-building").count() == 0
    assert not any("/buildings/tiles/WebMercatorQuad/15/" in url for url in tiled.log.requests)


def test_clicking_a_tiled_grid_opens_its_panel(tiled: OneMap, database_url: str) -> None:
    page = tiled.page
    with psycopg.connect(database_url) as conn:
        grids = conn.execute(
            "SELECT grid_code, name, ST_Y(p), ST_X(p) FROM (SELECT grid_code, name,"
            " ST_PointOnSurface(geom) AS p FROM grids ORDER BY grid_code) AS inside"
        ).fetchall()
    # the first grid whose inside is on screen and not under another feature's marker
    box = page.locator("#map").bounding_box()
    assert box is not None
    chosen = None
    for code, name, lat, lng in grids:
        point = page.evaluate(
            "([lat, lng]) => window.onemap.map.latLngToContainerPoint([lat, lng])", [lat, lng]
        )
        x, y = box["x"] + point["x"], box["y"] + point["y"]
        under = page.evaluate(
            "([x, y]) => { const e = document.elementFromPoint(x, y);"
            " return e && e.matches('path.onemap-grid') ? e.getAttribute('data-code') : null; }",
            [x, y],
        )
        if under == code:
            chosen = (code, name, x, y)
            break
    assert chosen is not None, "no grid of the district could be clicked"
    code, name, x, y = chosen
    page.mouse.click(x, y)
    page.locator(f'.onemap-place[data-code="{code}"]').wait_for()
    # its popup, and the grid outlined while it is open
    popup = page.locator(".leaflet-popup-content").inner_text()
    # what the tile carries, its community's code read from its own, no blanks
    assert name in popup and code[:12] in popup and "{" not in popup
    strokes = page.eval_on_selector_all(
        f'path.onemap-grid[data-code="{code}"]', "paths => paths.map(p => p.getAttribute('stroke'))"
    )
    assert strokes and set(strokes) == {"#b71c1c"}
    page.screenshot(path=str(SCREENSHOTS / "tiles-grid-panel.png"))


# the codes of the grids under a lattice of points of the map, as a page draws them
GRIDS_UNDER = """() => {
    const codes = [];
    for (let x = 300; x < 1000; x += 35) for (let y = 100; y < 700; y += 30) {
        const e = document.elementFromPoint(x, y);
        const grid = e && e.matches("path.onemap-grid");
        codes.push(grid ? e.getAttribute("data-code") || e.getAttribute("data-grid-code") : null);
    }
    return codes;
}"""


def test_on_a_gcj02_basemap_the_tiles_are_shifted_as_the_geojson_is(
    browser: Browser,
    on_gcj02: str,  # noqa: F811 (the fixture imported above)
) -> None:
    under = {}
    for path in ("/", "/?draw=geojson"):
        with _opened(browser, on_gcj02, path) as onemap:
            page = onemap.page
            assert page.evaluate("() => window.onemap.datum()") == "gcj02"
            # every layer has the view's data (GeoJSON grids held whole do not reload)
            page.evaluate(
                """async () => {
                    const loader = new URL("static/core/loader.js", document.baseURI).href;
                    const { settled } = await import(loader);
                    window.onemap.map.setView([22.78, 108.33], 15, { animate: false });
                    await settled();
                }"""
            )
            page.evaluate("() => new Promise((resolve) => requestAnimationFrame(resolve))")
            under[path] = page.evaluate(GRIDS_UNDER)
    both = [(t, g) for t, g in zip(under["/"], under["/?draw=geojson"], strict=True) if t and g]
    assert len(both) > 50
    # the same grid under nearly every point (a tile's vertices are snapped to its 4096
    # units: a point on a border may fall either side); unshifted, one in ten
    assert sum(t == g for t, g in both) >= 0.95 * len(both)
