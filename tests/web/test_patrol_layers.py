"""The patrol layers of the one map in a real headless Chromium against the demo district:
signed in as the command centre's staff, the patrol tracks, street patrols and blind spots
each draw exactly what the API serves that session for the view and the chosen month, and
another month redraws them (and nothing else) with that month's; an anonymous visitor is
offered no patrol layer and the page asks for nothing it would be refused; the English
toggle leaves no Chinese on the patrol controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg
import pytest
from playwright.sync_api import Browser, Page

from gis.people import directory
from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened, _opened_signed_in
from tests.web.test_layers import CJK, _toggle

STAFF_LOGIN = "patrols.staff"
STAFF_PASSWORD = "指挥中心 巡逻 2026"
PATROL_LAYERS = ("patrolTracks", "streetPatrols", "blindSpots")
CHINA = ZoneInfo("Asia/Shanghai")
# the street patrols' least zoom (web/layers/streetPatrols.js), and a view a little inside it
STREET_ZOOM = 16


@pytest.fixture(scope="module")
def staff(database_url: str, demo_district: dict[str, int]) -> str:
    with psycopg.connect(database_url) as conn:
        directory.add(conn, login=STAFF_LOGIN, name="黄指挥", role="staff", password=STAFF_PASSWORD)
    return STAFF_LOGIN


@pytest.fixture
def signed_in(browser: Browser, server: str, staff: str) -> Iterator[OneMap]:
    """The one map, signed in through the sign-in page as a member of staff would."""
    with _opened_signed_in(browser, server, staff, STAFF_PASSWORD) as onemap:
        yield onemap


def _api(page: Page, path: str, **params: str) -> dict[str, Any]:
    """What the service answers the page's own session (signed in or not)."""
    return page.evaluate(
        """async ([path, params]) => {
            const url = new URL(path, document.baseURI);
            for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
            const response = await fetch(url);
            return { status: response.status, body: await response.json() };
        }""",
        [path, params],
    )


def _ogc_ids(page: Page, collection: str, **params: str) -> list[str]:
    """Every feature id of the collection for `params`, following rel=next."""
    ids: list[str] = []
    path: str | None = f"ogc/collections/{collection}/items"
    query: dict[str, str] = {"limit": "1000", **params}
    while path:
        answer = _api(page, path, **query)
        assert answer["status"] == 200, answer
        ids.extend(str(feature["id"]) for feature in answer["body"]["features"])
        link = next((x["href"] for x in answer["body"]["links"] if x["rel"] == "next"), None)
        path, query = (link, {}) if link else (None, {})
    return sorted(ids)


def _month_interval(month: str) -> str:
    """The month (China time) as the page asks for it: closed, to the last microsecond."""
    last = date.fromisoformat(f"{_following(month)}-01") - timedelta(days=1)
    return f"{month}-01T00:00:00+08:00/{last.isoformat()}T23:59:59.999999+08:00"


def _following(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _served(page: Page, layer: str, month: str, bbox: str) -> list[str]:
    if layer == "patrolTracks":
        return _ogc_ids(page, "patrol_tracks", bbox=bbox, datetime=_month_interval(month))
    if layer == "streetPatrols":
        return _ogc_ids(page, "street_patrols", bbox=bbox, month=month)
    # the blind spots: the county's for the period, whatever the view
    answer = _api(
        page,
        "api/v1/patrols/blind-spots",
        **{"from": f"{month}-01", "to": f"{_following(month)}-01"},
    )
    assert answer["status"] == 200, answer
    return sorted(str(feature["id"]) for feature in answer["body"]["features"])


def _drawn(page: Page, layer: str) -> list[str]:
    return page.evaluate(
        "id => window.onemap.layers[id].getLayers().map(l => String(l.feature.id)).sort()", layer
    )


def _months_with_patrols(page: Page) -> tuple[str, str]:
    """The latest month (China time) the demo's patrol tracks reach, and the one before it,
    as the API states the collection's time extent."""
    answer = _api(page, "ogc/collections/patrol_tracks")
    assert answer["status"] == 200, answer
    (start, end), *_ = answer["body"]["extent"]["temporal"]["interval"]
    first = datetime.fromisoformat(start).astimezone(CHINA).strftime("%Y-%m")
    latest = datetime.fromisoformat(end).astimezone(CHINA).strftime("%Y-%m")
    year, number = (int(part) for part in latest.split("-"))
    months = latest, f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"
    assert first <= months[1], f"the demo's patrols span less than two months: {start}–{end}"
    return months


def _choose_month(page: Page, month: str, layers: tuple[str, ...]) -> list[dict[str, Any]]:
    """Picks `month` in the patrols' month picker; the next load of each of `layers`."""
    return page.evaluate(
        """([month, layers]) => {
            const loads = layers.map((id) => window.onemap.nextLoad(id));
            const input = document.getElementById("onemap-patrol-month");
            input.value = month;
            input.dispatchEvent(new Event("change"));
            // a load that never comes fails the test here, saying whose, not at its timeout
            const waited = new Promise((resolve) => setTimeout(resolve, 60000, "no load"));
            return Promise.all(loads.map((load) => Promise.race([load, waited])))
                .then((outcomes) => outcomes.map((o) => (o === "no load" ? { state: o } : o)));
        }""",
        [month, list(layers)],
    )


def _untick(page: Page, layer: str) -> None:
    page.evaluate(
        "id => document.querySelector(`.onemap-layers input[data-layer='${id}']`).click()", layer
    )


def _street_view(page: Page, month: str) -> None:
    """A street zoom on a patrolled segment of the month: streets of both kinds around."""
    answer = _api(
        page,
        "ogc/collections/street_patrols/items",
        month=month,
        patrolled="true",
        limit="1",
    )
    assert answer["body"]["features"], f"no street patrolled in {month}"
    lng, lat = answer["body"]["features"][0]["geometry"]["coordinates"][0]
    page.evaluate(
        "([centre, zoom]) => { window.onemap.map.setView(centre, zoom, {animate: false}); }",
        [[lat, lng], STREET_ZOOM],
    )


def test_staff_see_each_patrol_layer_draw_what_the_api_serves_for_the_month(
    signed_in: OneMap, server: str
) -> None:
    page = signed_in.page
    registry = [layer["id"] for layer in page.evaluate("() => window.onemap.registry")]
    switcher = page.eval_on_selector_all(
        ".onemap-layers input", "boxes => boxes.map(box => box.dataset.layer)"
    )
    assert switcher == registry
    assert registry[-3:] == list(PATROL_LAYERS)
    # one month picker for the three, on the current month in China time
    assert page.locator("#onemap-patrol-month").count() == 1
    now = datetime.now(CHINA).strftime("%Y-%m")
    assert page.input_value("#onemap-patrol-month") == now

    latest, _ = _months_with_patrols(page)
    # the layers are off: choosing a month loads nothing yet
    page.evaluate(
        """(month) => {
            const input = document.getElementById("onemap-patrol-month");
            input.value = month;
            input.dispatchEvent(new Event("change"));
        }""",
        latest,
    )
    district = page.evaluate("() => window.onemap.map.getCenter()")
    zoom = page.evaluate("() => window.onemap.map.getZoom()")
    for layer in PATROL_LAYERS:
        if layer == "streetPatrols":
            _street_view(page, latest)
        else:
            page.evaluate(
                "([c, z]) => { window.onemap.map.setView(c, z, {animate: false}); }",
                [[district["lat"], district["lng"]], zoom],
            )
        outcome = _toggle(page, layer)
        assert outcome["state"] == "loaded", (layer, outcome)
        assert outcome["key"] == latest and outcome["truncated"] is False, (layer, outcome)
        served = _served(page, layer, latest, outcome["bbox"])
        assert served, f"{layer}: the API serves nothing for {latest} in view"
        assert _drawn(page, layer) == served, layer
        # and it is in the legend, and off again from the switcher
        assert page.locator(f'.onemap-legend-row[data-layer="{layer}"]').count() >= 1
        _untick(page, layer)
        assert not page.evaluate(
            "id => window.onemap.map.hasLayer(window.onemap.layers[id])", layer
        )


def test_another_month_redraws_the_patrol_layers_and_nothing_else(
    signed_in: OneMap, server: str
) -> None:
    page = signed_in.page
    latest, earlier = _months_with_patrols(page)
    _choose_month(page, latest, ())
    # streets patrolled in the earlier month: its tracks pass through the view
    _street_view(page, earlier)
    for layer in PATROL_LAYERS:
        assert _toggle(page, layer)["state"] == "loaded", layer
    before = {layer: _drawn(page, layer) for layer in PATROL_LAYERS}

    asked_before = len(signed_in.log.requests)
    outcomes = _choose_month(page, earlier, PATROL_LAYERS)
    # what the month asked for: the patrol layers' features, and nothing else
    asked = {urlsplit(url).path for url in signed_in.log.requests[asked_before:]}
    assert asked == {
        "/ogc/collections/patrol_tracks/items",
        "/ogc/collections/street_patrols/items",
        "/api/v1/patrols/blind-spots",
    }
    for layer, outcome in zip(PATROL_LAYERS, outcomes, strict=True):
        assert outcome["state"] == "loaded" and outcome["key"] == earlier, (layer, outcome)
        served = _served(page, layer, earlier, outcome["bbox"])
        assert served, f"{layer}: the API serves nothing for {earlier} in view"
        drawn = _drawn(page, layer)
        assert drawn == served, layer
        assert drawn != before[layer], f"{layer}: {earlier} drew what {latest} did"

    # what a command officer sees: the unpatrolled streets in red against the patrolled
    for layer in ("patrolTracks", "blindSpots"):
        _untick(page, layer)
    kinds = page.eval_on_selector_all(
        "path.onemap-street-patrol", "paths => paths.map(p => p.dataset.patrolled)"
    )
    assert {"true", "false"} <= set(kinds), "the view shows streets of only one kind"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "street-patrols.png"))


def test_an_anonymous_visitor_is_offered_no_patrol_layer_and_nothing_is_refused(
    browser: Browser, server: str
) -> None:
    # leaving `_opened` fails on any console error or refused request
    with _opened(browser, server) as onemap:
        page = onemap.page
        switcher = page.eval_on_selector_all(
            ".onemap-layers input", "boxes => boxes.map(box => box.dataset.layer)"
        )
        registry = [layer["id"] for layer in page.evaluate("() => window.onemap.registry")]
        assert switcher == registry and switcher
        assert not set(PATROL_LAYERS) & set(switcher)
        assert page.locator("#onemap-patrol-month").count() == 0
        # the choropleth offers no patrol indicator, which the API would refuse
        page.click("#onemap-choropleth-on")
        page.wait_for_selector("#onemap-choropleth-indicator")
        offered = page.eval_on_selector_all(
            "#onemap-choropleth-indicator option", "options => options.map(o => o.value)"
        )
        assert offered and not [name for name in offered if name.startswith("patrol_")]
        page.evaluate("() => window.onemap.analysis.choropleth.loaded")
        asked = [urlsplit(url).path for url in onemap.log.requests]
        # (the page's own modules load for everyone: it is the data that is asked for or not)
        data = [path for path in asked if path.startswith(("/ogc/", "/api/"))]
        assert data and not [p for p in data if "patrol" in p or p == "/api/v1/session"]
        assert onemap.log.failures == []
        # the service does refuse the patrols to an anonymous visitor: the page's not
        # asking is what keeps the console clean, not an empty answer
        refused = page.evaluate(
            "() => fetch('ogc/collections/patrol_tracks/items?limit=1').then(r => r.status)"
        )
        assert refused == 401
        onemap.log.failures.clear()


def test_the_english_toggle_leaves_no_chinese_on_the_patrol_controls(
    signed_in: OneMap, server: str
) -> None:
    page = signed_in.page
    latest, _ = _months_with_patrols(page)
    _choose_month(page, latest, ())
    _street_view(page, latest)
    for layer in PATROL_LAYERS:
        assert _toggle(page, layer)["state"] == "loaded", layer
    page.click("#onemap-language")
    controls = [page.locator(".onemap-patrol-month").inner_text()]
    controls += page.eval_on_selector_all(
        ".onemap-layers-row", "rows => rows.map(r => r.textContent)"
    )[-len(PATROL_LAYERS) :]
    controls += page.eval_on_selector_all(
        ".onemap-legend-row[data-layer^='patrol'], .onemap-legend-row[data-layer$='Patrols'],"
        " .onemap-legend-row[data-layer='blindSpots']",
        "rows => rows.map(r => r.textContent)",
    )
    assert len(controls) >= 1 + len(PATROL_LAYERS) + 3
    assert [text for text in controls if CJK.search(text)] == []
    assert "Patrol month" in controls[0]
    assert any("30 m" in text for text in controls)
