"""The command centre's wall screen (大屏), the side drawer and the analysis' period and
classes, in a real headless Chromium against a real uvicorn on the demo district: the wall
at 1920×1080 and 3840×2160 shows the APIs' headline figures for the chosen period and an
event reported through the API within 2 s; the drawer opens on a panel and closes; the
period and the number of classes give the choropleth's legend the API's classes for
them; in English no Chinese is left. Every test fails on a console error or a failed
request."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from gis.people import directory
from tests.web.test_dashboard import SCREENSHOTS, VIEWPORT, PageLog, _opened

CJK = re.compile(r"[\u3400-\u9fff]")
OPEN = "reported,filed,dispatched,in_progress,handled"
LIVE_WITHIN_S = 2.0
# the type of the wall's figures, as a share of the screen's height: about 5 %, which a
# command officer reads from across the room (a 2-metre-high wall: 10 cm digits)
FIGURE_SHARE = 0.045


def _api(server: str, path: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(f"{server}/api/v1/{path}", params=params, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def months(server: str) -> list[str]:
    """The months the demo's events were reported in, oldest first."""
    groups = _api(server, "indicators/events", group_by="month")["groups"]
    keys = [row["key"] for row in groups if row["key"] and row["reported"] > 0]
    assert len(keys) >= 3, keys
    return keys


def _month_range(month: str) -> dict[str, str]:
    year, number = (int(part) for part in month.split("-"))
    after = f"{year + 1}-01-01" if number == 12 else f"{year}-{number + 1:02d}-01"
    return {"from": f"{month}-01", "to": after}


def _choose_month(page: Page, prefix: str, month: str) -> None:
    page.select_option(f"#{prefix}-kind", "month")
    page.fill(f"#{prefix}-month", month)


def _tiles(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(".onemap-wall-tile")]
            .map(t => [t.dataset.figure, t.querySelector(".onemap-wall-figure").dataset.value]))"""
    )


def _headline(server: str, period: dict[str, str]) -> dict[str, str]:
    """The wall's figures as the APIs answer them for the period."""

    def count(**extra: str) -> int:
        body = _api(server, "events", status=OPEN, limit=1, **extra)
        return int(body["numberMatched"])

    loop = _api(server, "indicators/events", group_by="month", **period)["total"]
    coverage = _api(
        server, "indicators/areas", level="subdistrict", indicator="service_coverage_15"
    )
    return {
        "open_events": str(count()),
        "overdue_events": str(count(overdue="true")),
        "closure_rate": str(loop["closure_rate"]),
        "on_time_closure_rate": str(loop["on_time_closure_rate"]),
        "service_coverage_15": str(coverage["total"]["value"]),
    }


def _wait_figures(page: Page, server: str, period: dict[str, str]) -> dict[str, str]:
    """The wall's tiles once they are the APIs' figures for the period (a load the live
    feed began may still be on its way: the wall is given a few seconds to settle)."""
    deadline = time.monotonic() + 10
    while True:
        loaded = page.evaluate("() => window.onemap.analysis.wall.loaded")
        assert loaded and "error" not in loaded, loaded
        expected = _headline(server, period)
        if loaded["period"] == period and _tiles(page) == expected:
            return expected
        assert time.monotonic() < deadline, (_tiles(page), expected, loaded["period"])
        page.wait_for_timeout(200)


def _report(server: str, database_url: str) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids"
            " ORDER BY grid_code LIMIT 1 OFFSET 25) AS g"
        ).fetchone()
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {
            "category": "0101",
            "description": "大屏实时动态测试：垃圾堆放",
            "source": "qr",
            "reporter_name": "黄先生",
            "reporter_phone": "13907711234",
        },
    }
    answer = httpx.post(f"{server}/api/v1/events", json=report, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize(
    ("size", "address"),
    [((1920, 1080), "/?wall=1"), ((3840, 2160), "/#wall")],
    ids=["1080p", "4k"],
)
def test_the_wall_shows_the_apis_figures_and_the_live_feed(
    browser: Browser,
    server: str,
    database_url: str,
    months: list[str],
    size: tuple[int, int],
    address: str,
) -> None:
    width, height = size
    with _opened(browser, server, address, {"width": width, "height": height}) as onemap:
        page = onemap.page
        # the address opened the wall: no header, the bar and the feed on show
        assert page.evaluate("() => window.onemap.analysis.wall.on")
        assert page.locator(".onemap-header").is_hidden()
        assert page.locator("#onemap-wall").is_visible()
        assert page.locator("#onemap-wall-feed").is_visible()
        # all time first (the API's defaults), then a month
        _wait_figures(page, server, {})
        month = months[-2]
        _choose_month(page, "onemap-wall-period", month)
        shown = _wait_figures(page, server, _month_range(month))
        assert month in page.locator(".onemap-wall-period").text_content()
        # every label is a word of the vocabulary, none a bare key
        assert not re.search(r"\b(period|wall|indicator)_[a-z_]+", page.inner_text("#onemap-wall"))
        # the closure rates speak of that month's events: they are the API's for it, shown
        # as percentages
        rate = page.locator('.onemap-wall-tile[data-figure="closure_rate"] .onemap-wall-figure')
        assert rate.text_content() == f"{float(shown['closure_rate']) * 100:.1f}%"
        # an anonymous wall does not ask for the analysts' patrol figure
        assert "patrol_coverage" not in _tiles(page)
        assert not any("patrol_coverage" in url for url in onemap.log.requests)

        # legible from across the room, the same at either size: the type follows the screen
        figure = page.evaluate(
            """() => parseFloat(getComputedStyle(
                document.querySelector(".onemap-wall-figure")).fontSize)"""
        )
        assert figure >= FIGURE_SHARE * height, figure
        label = page.evaluate(
            """() => parseFloat(getComputedStyle(
                document.querySelector(".onemap-wall-label")).fontSize)"""
        )
        assert label >= 0.016 * height, label
        # the map has the screen: most of it, beside the feed and under the bar
        box = page.locator("#map").bounding_box()
        assert box is not None and box["width"] * box["height"] > 0.55 * width * height
        # nothing spills off the screen
        assert page.evaluate(
            "() => document.documentElement.scrollWidth <= innerWidth"
            " && document.documentElement.scrollHeight <= innerHeight"
        )

        # the live feed: an event reported through the API is on the wall within 2 s
        page.wait_for_selector("#onemap-wall-feed .onemap-live.is-live", timeout=10_000)
        event = _report(server, database_url)
        posted = time.monotonic()
        page.wait_for_selector(
            f'.onemap-wall-feed-item[data-event-id="{event["id"]}"]',
            timeout=LIVE_WITHIN_S * 1000,
        )
        assert time.monotonic() - posted < LIVE_WITHIN_S
        first = page.locator(".onemap-wall-feed-item").first
        assert first.get_attribute("data-event-id") == str(event["id"])
        assert event["properties"]["tracking_number"] in first.text_content()
        # the figures follow: again the APIs' own, with the new event counted
        after = _wait_figures(page, server, _month_range(month))
        assert int(after["open_events"]) == int(shown["open_events"]) + 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"wall-{width}x{height}.png"))

        # and back to the map as it was
        page.click("#onemap-wall-exit")
        assert page.locator(".onemap-header").is_visible()
        assert page.locator("#onemap-wall").count() == 0
        assert "wall" not in page.url


# The latest transition of each event, for the events changed last: what the wall's feed
# holds (public events only, as the stream sends them).
LATEST_PER_EVENT = """
    SELECT latest.history_id, latest.event_id, latest.tracking_number
    FROM (SELECT DISTINCT ON (h.event_id) h.history_id, h.event_id, e.tracking_number
          FROM event_history AS h JOIN events AS e USING (event_id)
          WHERE event_public(e.category_code, e.hidden_at)
          ORDER BY h.event_id, h.history_id DESC) AS latest
    ORDER BY latest.history_id DESC
    LIMIT %s
"""
FEED_SHOWN = 10  # web/panels/wall.js


def _feed(page: Page) -> list[tuple[int, int, str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll(".onemap-wall-feed-item")].map(row =>
            [Number(row.dataset.historyId), Number(row.dataset.eventId), row.textContent])"""
    )


def _latest_per_event(database_url: str) -> list[tuple[int, int, str]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(LATEST_PER_EVENT, (FEED_SHOWN,)).fetchall()


def test_the_wall_starts_with_the_latest_transitions_and_adds_a_new_one_once(
    browser: Browser, server: str, database_url: str
) -> None:
    with _opened(browser, server, "/?wall=1", {"width": 1920, "height": 1080}) as onemap:
        page = onemap.page
        # before any transition arrives, the feed holds the latest ones, newest first
        filled = page.evaluate("() => window.onemap.analysis.wall.filled")
        expected = _latest_per_event(database_url)
        assert len(expected) == FEED_SHOWN
        assert filled == [history_id for history_id, _event, _number in expected]
        shown = _feed(page)
        assert [(h, e) for h, e, _text in shown] == [(h, e) for h, e, _n in expected]
        assert all(
            number in text for (_h, _e, text), (_, _, number) in zip(shown, expected, strict=True)
        )
        assert page.locator("#onemap-wall-feed .onemap-hint").count() == 0  # not "waiting"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "wall-feed-on-entering.png"))

        # a new event goes on top, once, and the feed is again the database's latest
        page.wait_for_selector("#onemap-wall-feed .onemap-live.is-live", timeout=10_000)
        event = _report(server, database_url)
        row = f'.onemap-wall-feed-item[data-event-id="{event["id"]}"]'
        page.wait_for_selector(row, timeout=LIVE_WITHIN_S * 1000)
        expected = _latest_per_event(database_url)
        assert expected[0][1] == event["id"]
        deadline = time.monotonic() + 5
        while [(h, e) for h, e, _t in _feed(page)] != [(h, e) for h, e, _n in expected]:
            assert time.monotonic() < deadline, (_feed(page), expected)
            page.wait_for_timeout(100)
        page.wait_for_timeout(1000)  # nothing arrives twice, nor late
        assert page.locator(row).count() == 1
        assert page.locator(".onemap-wall-feed-item").first.get_attribute("data-event-id") == str(
            event["id"]
        )
        assert len(_feed(page)) == FEED_SHOWN
        # leaving and entering again fetches the latest again, without doubles
        page.click("#onemap-wall-exit")
        page.click("#onemap-wall-toggle")
        again = page.evaluate("() => window.onemap.analysis.wall.filled")
        assert again == [history_id for history_id, _event, _number in expected]
        assert page.locator(row).count() == 1


@pytest.mark.parametrize(
    "viewport", [VIEWPORT, {"width": 1920, "height": 1080}], ids=["laptop", "1080p"]
)
def test_the_drawer_opens_on_a_panel_and_closes(
    browser: Browser, server: str, viewport: dict[str, int]
) -> None:
    with _opened(browser, server, "/", viewport) as onemap:
        page = onemap.page
        drawer = page.locator("#onemap-drawer")
        assert drawer.is_hidden()
        # the panels are not in the left column any more
        assert (
            page.locator(".leaflet-left .onemap-event-panel, .leaflet-left .onemap-chart").count()
            == 0
        )
        # an event from the queue: the drawer opens on its panel
        page.wait_for_selector("#onemap-queue li[data-event-id]")
        page.locator("#onemap-queue li[data-event-id]").first.click()
        page.wait_for_selector("#onemap-drawer #onemap-event[data-event-id]")
        assert drawer.is_visible()
        # on a wide screen the right-hand controls step aside: the layer switcher is still
        # in full view (on a laptop's the drawer covers them, not the middle of the map)
        switcher = page.locator(".onemap-layers").bounding_box()
        shelf = drawer.bounding_box()
        assert switcher is not None and shelf is not None
        beside = switcher["x"] + switcher["width"] <= shelf["x"]
        assert beside == (viewport["width"] >= 1600)
        page.screenshot(path=str(SCREENSHOTS / f"drawer-event-{viewport['width']}.png"))
        # its button closes it and the panel in it
        page.click("#onemap-drawer-close")
        assert drawer.is_hidden()
        assert page.locator("#onemap-event").is_hidden()
        # the charts open it too, drawn at the drawer's width
        page.click("#onemap-charts-toggle")
        drawn = page.evaluate("() => window.onemap.analysis.charts.drawn")
        assert drawn["group"] == "month"
        assert drawer.is_visible()
        chart = page.locator("#onemap-drawer .onemap-chart svg").bounding_box()
        assert chart is not None and chart["width"] > 300 and chart["height"] > 150
        # hiding the charts leaves nothing to show: the drawer shuts by itself
        page.click("#onemap-charts-toggle")
        assert drawer.is_hidden()


def _legend(page: Page) -> list[tuple[str, float, float, int]]:
    return page.evaluate(
        """() => [...document.querySelectorAll(".onemap-choropleth-class[data-lower]")]
            .map(row => [row.dataset.class, Number(row.dataset.lower),
                         Number(row.dataset.upper), Number(row.dataset.count)])"""
    )


def _served_legend(server: str, **params: Any) -> list[list[Any]]:
    served = _api(server, "indicators/areas", level="community", **params)
    return [[str(c["class"]), c["lower"], c["upper"], c["count"]] for c in served["classes"]]


def _loaded(page: Page) -> dict[str, Any]:
    outcome = page.evaluate("() => window.onemap.analysis.choropleth.loaded")
    assert outcome and "error" not in outcome, outcome
    return outcome


def test_the_period_and_the_classes_give_the_legend_the_apis_classes(
    browser: Browser, server: str, months: list[str]
) -> None:
    indicator = "events_per_1000_households"
    with _opened(browser, server, "/", VIEWPORT) as onemap:
        page = onemap.page
        page.click("#onemap-choropleth-on")
        page.select_option("#onemap-choropleth-indicator", indicator)
        _loaded(page)
        whole = _served_legend(server, indicator=indicator)
        assert _legend(page) == whole

        # a month: the legend is the API's classes for that month, not the year's
        month = months[-2]
        _choose_month(page, "onemap-period", month)
        outcome = _loaded(page)
        assert f"from={month}-01" in outcome["url"]
        in_month = _served_legend(server, indicator=indicator, **_month_range(month))
        assert _legend(page) == in_month != whole
        # the charts speak of the same month
        page.click("#onemap-charts-toggle")
        drawn = page.evaluate("() => window.onemap.analysis.charts.drawn")
        assert [
            row["key"]
            for row in _api(server, "indicators/events", group_by="month", **_month_range(month))[
                "groups"
            ]
        ] == [month]
        assert drawn["option"]["xAxis"]["data"] == [month]

        # a quarter, then days from–to (the last day included: `to` is the day after)
        year, number = (int(part) for part in month.split("-"))
        quarter = (number - 1) // 3 + 1
        page.select_option("#onemap-period-kind", "quarter")
        page.fill("#onemap-period-year", str(year))
        page.select_option("#onemap-period-quarter", str(quarter))
        first = (quarter - 1) * 3 + 1
        after = f"{year + 1}-01-01" if quarter == 4 else f"{year}-{first + 3:02d}-01"
        _loaded(page)
        assert _legend(page) == _served_legend(
            server, indicator=indicator, **{"from": f"{year}-{first:02d}-01", "to": after}
        )
        page.select_option("#onemap-period-kind", "range")
        page.fill("#onemap-period-from", f"{month}-05")
        page.fill("#onemap-period-to", f"{month}-20")
        outcome = _loaded(page)
        assert f"to={month}-21" in outcome["url"]
        assert _legend(page) == _served_legend(
            server, indicator=indicator, **{"from": f"{month}-05", "to": f"{month}-21"}
        )

        # the number of classes (over all time: in a fortnight most communities have no
        # event, and quantiles of equal zeros merge): the legend has the API's classes for
        # it, and the map's areas are filled in exactly as many colours
        page.select_option("#onemap-period-kind", "all")
        _loaded(page)
        for count, method in ((3, "quantiles"), (7, "quantiles"), (4, "natural_breaks")):
            page.select_option("#onemap-choropleth-method", method)
            page.select_option("#onemap-choropleth-classes", str(count))
            outcome = _loaded(page)
            served = _served_legend(
                server,
                indicator=indicator,
                method=method,
                classes=count,
            )
            assert len(served) == count
            assert _legend(page) == served
            classes = page.evaluate(
                """() => new Set([...document.querySelectorAll("path.onemap-choropleth")]
                    .map(p => p.getAttribute("data-class")).filter(c => c !== "")).size"""
            )
            assert classes == count
        page.screenshot(path=str(SCREENSHOTS / "period-classes.png"))


def test_english_leaves_no_chinese_on_the_wall(
    browser: Browser, server: str, database_url: str
) -> None:
    with _opened(browser, server, "/#wall", {"width": 1920, "height": 1080}) as onemap:
        page = onemap.page
        page.wait_for_selector("#onemap-wall-feed .onemap-live.is-live", timeout=10_000)
        event = _report(server, database_url)
        page.wait_for_selector(f'.onemap-wall-feed-item[data-event-id="{event["id"]}"]')
        page.evaluate("() => window.onemap.analysis.wall.loaded")
        page.select_option("#onemap-wall-period-kind", "quarter")
        page.click("#onemap-language")
        page.evaluate("() => window.onemap.analysis.wall.loaded")
        # (the toggle itself says "中文 Chinese": the way back)
        texts = page.evaluate(
            """() => [...document.querySelectorAll(
                    "#onemap-wall, #onemap-wall-feed, .onemap-legend")]
                .map(node => node.innerText)"""
        )
        assert len(texts) == 3 and all(texts)
        # but the place's own name in the title: data, and the division codes have no
        # English names
        place = httpx.get(f"{server}/api/v1/area", timeout=30).json()["name"]
        assert texts[0].startswith(f"{place} one map")
        assert [text for text in texts if CJK.search(text.replace(place, ""))] == []
        page.screenshot(path=str(SCREENSHOTS / "wall-english.png"))
        # back on the map: the period picker and the drawer's words are English too
        page.click("#onemap-wall-exit")
        page.click("#onemap-charts-toggle")
        page.evaluate("() => window.onemap.analysis.charts.drawn")
        texts = page.evaluate(
            """() => [...document.querySelectorAll(
                    ".onemap-analysis, .onemap-charts-header, #onemap-drawer")]
                .map(node => node.innerText)"""
        )
        assert [text for text in texts if CJK.search(text)] == []
        page.click("#onemap-language")


ANALYST_PASSWORD = "大屏 指挥 2026"


def test_a_signed_in_analyst_sees_the_apis_patrol_coverage_on_the_wall(
    browser: Browser, server: str, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        directory.add(
            conn, login="wall.staff", name="蒙大屏", role="staff", password=ANALYST_PASSWORD
        )
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    log = PageLog()
    page.on("response", log.on_response)
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    try:
        # the wall's browser signs in once and comes back to the wall
        page.goto(f"{server}/signin?next=%2F%23wall")
        page.fill("#login", "wall.staff")
        page.fill("#password", ANALYST_PASSWORD)
        with page.expect_navigation():
            page.click("#signin-button")
        page.evaluate("() => window.onemap.ready")
        assert page.evaluate("() => window.onemap.analysis.wall.on")
        # (the sign-in page's own question whether someone is signed in was refused)
        log.failures = [f for f in log.failures if "/api/v1/session" not in f and "401" not in f]
        loaded = page.evaluate("() => window.onemap.analysis.wall.loaded")
        assert loaded and "error" not in loaded, loaded
        # the patrol coverage as the API answers this analyst (the same session)
        served = page.evaluate(
            "() => fetch('api/v1/indicators/areas?level=subdistrict&indicator=patrol_coverage')"
            ".then(r => r.json())"
        )
        assert _tiles(page)["patrol_coverage"] == str(served["total"]["value"])
        assert not re.search(r"\b(period|wall|indicator)_[a-z_]+", page.inner_text("#onemap-wall"))
        assert served["total"]["value"] is not None
        page.screenshot(path=str(SCREENSHOTS / "wall-signed-in.png"))
        assert log.failures == []
    finally:
        page.close()
