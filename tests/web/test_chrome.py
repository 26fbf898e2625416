"""The one map's chrome as a command officer meets it: a title naming what the database
holds, labels that never pile up, a legend beside the layer switcher, and the notes the
system writes in the page's language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from gis.people import directory
from tests.web.test_dashboard import SCREENSHOTS, _opened, _opened_signed_in
from tests.web.test_layers import CJK, _toggle

# Latin letters: an English word in a Chinese page
LATIN = re.compile(r"[A-Za-z]{2,}")


def _words(server: str) -> dict[str, dict[str, str]]:
    body = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    return {t["value"]: t for t in body["interface_words"]["terms"]}


@pytest.fixture
def district_renamed(database_url: str) -> Iterator[str]:
    """The demo's one county under another name for one test (the page must read it)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        code, name = conn.execute("SELECT county_code, name FROM districts").fetchone()
        conn.execute("UPDATE districts SET name = '青秀测试区' WHERE county_code = %s", (code,))
        try:
            yield "青秀测试区"
        finally:
            conn.execute("UPDATE districts SET name = %s WHERE county_code = %s", (name, code))


def test_the_title_names_the_county_the_database_holds(
    browser: Browser, server: str, district_renamed: str
) -> None:
    words = _words(server)
    with _opened(browser, server) as onemap:
        page = onemap.page
        zh = words["page_title"]["zh"].format(place=district_renamed)
        assert zh == "青秀测试区 一张图"
        assert page.title() == zh
        assert page.locator("#onemap-title").text_content() == zh
        assert page.locator("#map").get_attribute("aria-label") == words["map_label"]["zh"].format(
            place=district_renamed
        )
        page.click("#onemap-language")
        en = words["page_title"]["en"].format(place=district_renamed)
        assert page.title() == en
        assert page.locator("#onemap-title").text_content() == en
        page.click("#onemap-language")


ANALYST_LOGIN = "chrome.analyst"
ANALYST_PASSWORD = "指挥中心 图例 2026"


@pytest.fixture(scope="module")
def analyst_login(database_url: str, demo_district: dict[str, int]) -> str:
    with psycopg.connect(database_url) as conn:
        directory.add(
            conn, login=ANALYST_LOGIN, name="韦分析", role="auditor", password=ANALYST_PASSWORD
        )
    return ANALYST_LOGIN


def _overlaps(page: Page, selector: str) -> list[tuple[str, str]]:
    """Pairs of the shown elements matching `selector` whose boxes overlap, by a class."""
    return page.evaluate(
        """(selector) => {
            const boxes = [...document.querySelectorAll(selector)]
                .map((element) => [element.className.match(/onemap-[a-z-]+/)?.[0]
                                       ?? element.className,
                                   element.getBoundingClientRect()])
                .filter(([, r]) => r.width > 0 && r.height > 0);
            const pairs = [];
            boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, s]) => {
                if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom) {
                    pairs.push([a, b]);
                }
            }));
            return pairs;
        }""",
        selector,
    )


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 1920, "height": 1080}]
)
def test_the_legend_and_the_layer_switcher_never_overlap(
    browser: Browser, server: str, analyst_login: str, viewport: dict[str, int]
) -> None:
    with _opened_signed_in(browser, server, analyst_login, ANALYST_PASSWORD, viewport) as onemap:
        page = onemap.page
        # the patrols' layers are offered to an analyst: the switcher is at its longest
        assert page.locator('.onemap-layers input[data-layer="blindSpots"]').count() == 1
        # and every layer on, so the legend is too
        for layer in page.eval_on_selector_all(
            ".onemap-layers input:not(:checked)", "boxes => boxes.map(box => box.dataset.layer)"
        ):
            assert _toggle(page, layer)["state"] in ("loaded", "zoomedOut")
        # and a choropleth on, so the analysis holds its classes and definition
        page.click("#onemap-choropleth-on")
        page.evaluate("() => window.onemap.analysis.choropleth.loaded")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = f"{viewport['width']}x{viewport['height']}"
        page.screenshot(path=str(SCREENSHOTS / f"district-analyst-{size}.png"))
        controls = ".leaflet-right .leaflet-control, .leaflet-left .leaflet-control"
        assert _overlaps(page, controls) == []
        # each within the map, the legend's last key reachable by scrolling within it
        inside = page.evaluate(
            """(selector) => {
                const map = document.getElementById("map").getBoundingClientRect();
                return [...document.querySelectorAll(selector)]
                    .map((element) => element.getBoundingClientRect())
                    .every((r) => r.top >= map.top && r.bottom <= map.bottom + 1);
            }""",
            controls,
        )
        assert inside
        # the long panels scroll within their share: the legend's last key and the
        # queue's last event are reached by scrolling
        for last in (
            page.locator(".onemap-legend-row").last,
            page.locator(".onemap-queue-item").last,
        ):
            last.scroll_into_view_if_needed()
            assert last.is_visible()


def _shown_labels(page: Page) -> list[dict[str, float | str]]:
    """The place names a visitor sees: shown, not hidden, and inside the map."""
    return page.evaluate(
        """() => {
            const map = document.getElementById("map").getBoundingClientRect();
            return [...document.querySelectorAll(
                    ".onemap-subdistrict-label, .onemap-community-label")]
                .filter((label) => getComputedStyle(label).visibility === "visible")
                .map((label) => [label.textContent, label.getBoundingClientRect()])
                .filter(([, r]) => r.width > 0 && r.right > map.left && r.left < map.right
                                   && r.bottom > map.top && r.top < map.bottom)
                .map(([name, r]) => ({name, left: r.left, right: r.right,
                                      top: r.top, bottom: r.bottom}));
        }"""
    )


def _crowded(labels: list[dict[str, float | str]]) -> list[tuple[str, str]]:
    return [
        (a["name"], b["name"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    ]


def _zoomed(page: Page, zoom: float) -> None:
    page.evaluate(
        """(zoom) => new Promise((resolve) => {
            const map = window.onemap.map;
            map.once("zoomend", () => requestAnimationFrame(() => requestAnimationFrame(resolve)));
            map.setZoom(zoom, {animate: false});
        })""",
        zoom,
    )
    page.wait_for_timeout(300)


def test_place_names_never_overlap_and_zooming_in_shows_more(browser: Browser, server: str) -> None:
    with _opened(browser, server) as onemap:
        page = onemap.page
        first = page.evaluate("() => window.onemap.map.getZoom()")
        shown = _shown_labels(page)
        assert shown and _crowded(shown) == []
        # zoomed out, the subdistricts' names would pile up: only those that fit are shown
        _zoomed(page, first - 1.5)
        out = _shown_labels(page)
        assert out and _crowded(out) == []
        assert len(out) < len(shown)
        # from the communities' zoom their names are shown instead, none over another
        _zoomed(page, 15)
        near = _shown_labels(page)
        communities = page.locator(".onemap-community-label").count()
        assert near and communities > 0 and _crowded(near) == []
        # a layer switched off takes its names with it, and brings them back switched on
        page.evaluate("() => { window.onemap.map.removeLayer(window.onemap.layers.communities); }")
        assert page.locator(".onemap-community-label").count() == 0
        page.evaluate("() => { window.onemap.map.addLayer(window.onemap.layers.communities); }")
        assert page.locator(".onemap-community-label").count() == communities


@pytest.fixture
def escalated_event(server: str, database_url: str) -> tuple[int, int]:
    """A demo event the system escalated and dispatched by the rules, that anyone may read
    (its notes are onemap's own, written for the public): its id and its last level."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT e.event_id, max((h.details ->> 'to_level')::int) FROM event_history AS h"
            " JOIN events AS e USING (event_id)"
            " WHERE h.action = 'escalate' AND h.actor_role = 'system'"
            " AND h.details ->> 'note_code' = 'escalated'"
            " AND EXISTS (SELECT FROM event_history AS d WHERE d.event_id = e.event_id"
            "             AND d.action = 'dispatch' AND d.actor_role = 'system')"
            " GROUP BY e.event_id ORDER BY e.event_id LIMIT 20"
        ).fetchall()
    for event_id, level in rows:
        if httpx.get(f"{server}/api/v1/events/{event_id}", timeout=30).status_code == 200:
            return event_id, level
    raise AssertionError(f"no escalated demo event the public may read among {rows}")


def test_the_notes_the_system_writes_are_in_the_pages_language(
    browser: Browser, server: str, escalated_event: tuple[int, int]
) -> None:
    event_id, level = escalated_event
    words = _words(server)
    escalation = '#onemap-event li[data-action="escalate"] .onemap-event-history-note'
    dispatch = '#onemap-event li[data-action="dispatch"] .onemap-event-history-note'
    with _opened(browser, server) as onemap:
        page = onemap.page
        page.evaluate("(id) => window.onemap.openEvent(id)", event_id)
        page.wait_for_selector(escalation)
        zh = page.locator(escalation).last.text_content()
        head = words["note_escalated"]["zh"].split("{")[0]
        assert zh.startswith(head) and zh.endswith(f"{words[f'supervisor_{level}']['zh']}督办")
        assert LATIN.search(zh) is None, zh
        assert page.locator(dispatch).first.text_content().startswith("派往")
        page.screenshot(path=str(SCREENSHOTS / "district-escalated-event.png"))

        page.click("#onemap-language")
        page.wait_for_function(
            "(selector) => document.querySelector(selector)?.textContent.startsWith('overdue')",
            arg=escalation,
        )
        en = page.locator(escalation).last.text_content()
        assert en.endswith(f"supervised by {words[f'supervisor_{level}']['en']}")
        assert CJK.search(en) is None, en
        assert page.locator(dispatch).first.text_content().startswith("dispatched to ")
        page.click("#onemap-language")
