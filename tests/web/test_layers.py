"""The one map's layer registry in a real headless Chromium: every registered layer is in
the layer switcher, toggles on and off from it, and draws exactly the features its API
serves for the view; the English toggle changes every label the page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened

# Where each registered layer's features come from: an OGC API collection or an access
# path. A layer registered in web/layers/index.js and missing here fails the test below.
OGC_COLLECTIONS = {
    "subdistricts": "subdistricts",
    "communities": "communities",
    "grids": "grids",
    "water": "water_areas",
    "compounds": "compounds",
    "buildings": "buildings",
}
ACCESS_PATHS = {"serviceAreas": "areas", "uncovered": "uncovered"}
# clustered markers from the events API with the page's filters: tests/web/test_events_map.py
EVENTS = "events"
# The patrol layers are offered only to someone signed in with a role that may read them
# (web/core/session.js): an anonymous visitor, as here, has none of them in the registry
# or the switcher; tests/web/test_patrol_layers.py draws them signed in.
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def _served_ids(server: str, layer: str, bbox: str, key: str) -> list[str]:
    """The ids of the features the API serves for `bbox`, every page of them."""
    if layer in ACCESS_PATHS:
        answer = httpx.get(
            f"{server}/api/v1/access/{ACCESS_PATHS[layer]}",
            params={"minutes": key, "bbox": bbox},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        return sorted(str(f["id"]) for f in answer.json()["features"])
    ids: list[str] = []
    url: str | None = f"{server}/ogc/collections/{OGC_COLLECTIONS[layer]}/items"
    params: dict[str, Any] | None = {"bbox": bbox, "limit": 1000}
    while url:
        page = httpx.get(url, params=params, timeout=60).json()
        ids.extend(str(f["id"]) for f in page["features"])
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        params = None
    return sorted(ids)


def _drawn(page: Page, layer: str, class_name: str) -> tuple[list[str], int]:
    ids = page.evaluate(
        "id => window.onemap.layers[id].getLayers().map(l => String(l.feature.id)).sort()",
        layer,
    )
    return ids, page.locator(f"path.{class_name}").count()


def _toggle(page: Page, layer: str) -> dict[str, Any]:
    """Ticks the layer's box in the switcher; its next load's outcome."""
    return page.evaluate(
        """(id) => {
            const loaded = window.onemap.nextLoad(id);
            document.querySelector(`.onemap-layers input[data-layer="${id}"]`).click();
            return loaded;
        }""",
        layer,
    )


@pytest.fixture
def onemap(browser: Browser, server: str) -> Iterator[OneMap]:
    with _opened(browser, server) as loaded:
        yield loaded


@pytest.fixture
def building_in_a_compound(database_url: str) -> tuple[float, float]:
    with psycopg.connect(database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings"
            " WHERE compound_id IS NOT NULL ORDER BY building_code LIMIT 1) AS first"
        ).fetchone()
    return lat, lng


def test_each_registered_layer_toggles_and_draws_what_the_api_serves(
    onemap: OneMap, server: str, building_in_a_compound: tuple[float, float]
) -> None:
    page = onemap.page
    registry = page.evaluate("() => window.onemap.registry")
    switcher = page.eval_on_selector_all(
        ".onemap-layers input", "boxes => boxes.map(box => box.dataset.layer)"
    )
    # the switcher is made from the registry, which is every layer this test knows
    assert switcher == [layer["id"] for layer in registry]
    assert set(switcher) == set(OGC_COLLECTIONS) | set(ACCESS_PATHS) | {EVENTS}
    assert "compounds" in switcher

    district = page.evaluate("() => window.onemap.map.getCenter()")
    district_zoom = page.evaluate("() => window.onemap.map.getZoom()")
    lat, lng = building_in_a_compound
    for layer in registry:
        layer_id, class_name, min_zoom = layer["id"], layer["className"], layer["minZoom"]
        if layer_id == EVENTS:
            continue
        # the whole district for the layers that have no least zoom; otherwise a view in
        # a compound from that zoom on
        if min_zoom:
            centre, zoom = [lat, lng], max(min_zoom, 16) + 0.5
        else:
            centre, zoom = [district["lat"], district["lng"]], district_zoom
        page.evaluate(
            "([centre, zoom]) => window.onemap.map.setView(centre, zoom, {animate: false})",
            [centre, zoom],
        )
        if page.is_checked(f'.onemap-layers input[data-layer="{layer_id}"]'):
            page.click(f'.onemap-layers input[data-layer="{layer_id}"]')
        assert _drawn(page, layer_id, class_name)[1] == 0, layer_id

        loaded = _toggle(page, layer_id)
        assert loaded["state"] == "loaded", (layer_id, loaded)
        served = _served_ids(server, layer_id, loaded["bbox"], loaded["key"])
        ids, paths = _drawn(page, layer_id, class_name)
        assert len(served) > 0, layer_id
        assert ids == served, layer_id
        assert paths == loaded["drawn"] == len(served), layer_id
        assert page.is_checked(f'.onemap-layers input[data-layer="{layer_id}"]')
        # and its key is in the legend
        assert page.locator(f'.onemap-legend-row[data-layer="{layer_id}"]').count() >= 1

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "every-layer-district.png"))
    page.evaluate(
        """([lat, lng]) => {
            const loaded = window.onemap.nextLoad("buildings");
            window.onemap.map.setView([lat, lng], 16.5, {animate: false});
            return loaded;
        }""",
        [lat, lng],
    )
    page.screenshot(path=str(SCREENSHOTS / "every-layer-zoomed-in.png"))


def _chrome_texts(page: Page) -> list[str]:
    """Every piece of text the page's own chrome shows (header, controls, legend), but
    the language button, which names the other language."""
    return page.evaluate(
        """() => {
            const texts = [];
            for (const root of document.querySelectorAll(
                    ".onemap-header, .leaflet-control-container")) {
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const node = walker.currentNode;
                    if (node.parentElement.closest("#onemap-language")) continue;
                    if (node.textContent.trim()) texts.push(node.textContent.trim());
                }
            }
            for (const option of document.querySelectorAll("#onemap-minutes option")) {
                texts.push(option.textContent);
            }
            return texts;
        }"""
    )


def _grid_popup_rows(page: Page) -> list[tuple[str, str]]:
    return page.evaluate(
        """() => {
            const grid = window.onemap.layers.grids.getLayers()
                .find(layer => layer.feature.properties.dedicated_kind);
            grid.openPopup();
            const rows = [...grid.getPopup().getElement().querySelectorAll("dt")]
                .map(dt => [dt.textContent, dt.nextElementSibling.textContent]);
            grid.closePopup();
            return rows;
        }"""
    )


def test_the_english_toggle_changes_every_label(browser: Browser, server: str) -> None:
    body = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    words = {t["value"]: t for t in body["interface_words"]["terms"]}
    grid_types = {t["value"]: t for t in body["grid_types"]["terms"]}
    place = httpx.get(f"{server}/api/v1/area", timeout=30).json()["name"]
    title = {
        language: words["page_title"][language].format(place=place) for language in ("zh", "en")
    }
    with _opened(browser, server) as onemap:
        page = onemap.page
        zh = _chrome_texts(page)
        assert words["layer_grids"]["zh"] in zh
        assert page.title() == title["zh"]

        page.click("#onemap-language")
        # every layer on, so that every legend key and status note is shown
        off = page.eval_on_selector_all(
            ".onemap-layers input:not(:checked)", "boxes => boxes.map(box => box.dataset.layer)"
        )
        assert off
        for layer in off:
            assert _toggle(page, layer)["state"] in ("loaded", "zoomedOut")
        english = _chrome_texts(page)
        # but the place's own name in the title: data, and the division codes have no
        # English names
        assert [text for text in english if CJK.search(text) and text != title["en"]] == []
        assert page.title() == title["en"]
        assert page.locator("#onemap-title").text_content() == title["en"]
        assert page.locator("html").get_attribute("lang") == "en"
        switcher = page.locator(".onemap-layers-row").all_inner_texts()
        titles = [f"layer_{name}" for name in ("subdistricts", "communities", "grids")]
        assert [words[title]["en"] for title in titles] == switcher[:3]
        legend = page.locator(".onemap-legend").inner_text()
        assert grid_types["base"]["en"] in legend and grid_types["dedicated"]["en"] in legend
        minutes = page.locator("#onemap-minutes option").all_inner_texts()
        assert minutes == [words["minutes"]["en"].format(minutes=m) for m in (5, 10, 15)]
        rows = dict(_grid_popup_rows(page))
        assert [term for term in rows if CJK.search(term)] == []
        assert rows[words["type"]["en"]].startswith(grid_types["dedicated"]["en"] + " (")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "district-english.png"))

        # kept across a reload, and toggled back
        page.reload()
        page.evaluate("() => window.onemap.ready")
        assert page.title() == title["en"]
        page.click("#onemap-language")
        assert page.title() == title["zh"]
        assert dict(_grid_popup_rows(page)).keys() >= {words["type"]["zh"]}
        assert _chrome_texts(page) == zh


def test_a_problem_from_the_api_is_the_one_error_on_the_page(browser: Browser, server: str) -> None:
    """The access API refuses 7 minutes with an RFC 7807 problem: the page says the problem's
    own detail on its status line and draws nothing stale."""
    with _opened(browser, server) as onemap:
        page = onemap.page
        outcome = page.evaluate(
            """() => {
                const loaded = window.onemap.nextLoad("serviceAreas");
                const select = document.getElementById("onemap-minutes");
                const seven = document.createElement("option");
                seven.value = "7";
                select.append(seven);
                window.onemap.map.addLayer(window.onemap.layers.serviceAreas);
                select.value = "7";
                select.dispatchEvent(new Event("change"));
                return loaded;
            }"""
        )
        detail = "minutes: service areas are stored for 5, 10, 15 minutes, not 7"
        assert outcome == {"state": "failed", "error": detail}
        status = page.locator("#onemap-status")
        assert status.get_attribute("class") == "onemap-status is-error"
        assert status.text_content() == f"服务圈加载失败：{detail}"
        assert page.locator("path.onemap-service-area").count() == 0
        # the one request refused, and the console's word for it and the page's; nothing
        # else went wrong (checked on leaving)
        failures = list(onemap.log.failures)
        onemap.log.failures.clear()
        refused = [f for f in failures if f.startswith("HTTP ")]
        assert len(refused) == 1 and refused[0].startswith("HTTP 400: ")
        assert "/api/v1/access/areas?minutes=7&" in refused[0]
        logged = [f for f in failures if f.startswith("console error: ")]
        assert len(logged) == 2 and len(failures) == 3, failures
        assert any("serviceAreas failed to load" in f for f in logged)
