"""The one map's analysis in a real headless Chromium: search opens the right place's
panel, a click on a grid opens it too, and the panel shows the API's figures; a
choropleth's legend is the API's classes and every area is filled with its class's colour;
the charts draw the API's event indicators; the English toggle changes the new labels.
Every test fails on a console error or a failed request (`_opened`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from gis.people import directory
from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def onemap(browser: Browser, server: str) -> Iterator[OneMap]:
    with _opened(browser, server) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def words(server: str) -> dict[str, dict[str, str]]:
    body = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    return {t["value"]: t for t in body["interface_words"]["terms"]}


def _api(server: str, path: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(f"{server}/api/v1/{path}", params=params, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _search_and_pick(page: Page, query: str, code: str) -> None:
    page.fill("#onemap-search", query)
    result = page.locator(f'.onemap-search-result[data-code="{code}"]')
    result.wait_for()
    result.click()
    page.locator(f'.onemap-place[data-code="{code}"]').wait_for()


def _panel_figures(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const box = document.querySelector(".onemap-place");
            const figures = Object.fromEntries([...box.querySelectorAll("[data-figure]")]
                .map(node => [node.dataset.figure, node.textContent]));
            const indicators = Object.fromEntries([...box.querySelectorAll("tr[data-indicator]")]
                .map(row => [row.dataset.indicator,
                             [...row.querySelectorAll("td")].map(td =>
                                 td.dataset.value === "null" ? null : Number(td.dataset.value))]));
            return {
                name: box.querySelector("h2").textContent,
                code: box.dataset.code,
                level: box.dataset.level,
                figures,
                indicators,
                centres: [...box.querySelectorAll("li[data-centre]")]
                    .map(li => Number(li.dataset.centre)),
                events: [...box.querySelectorAll("li[data-event]")].map(li => li.dataset.event),
            };
        }"""
    )


def _assert_panel_is_the_apis(shown: dict[str, Any], panel: dict[str, Any]) -> None:
    assert shown["name"] == panel["name"] or (
        panel["name"] is None and panel["code"] in shown["name"]
    )
    assert shown["code"] == str(panel["code"])
    assert shown["level"] == panel["level"]
    figures = shown["figures"]
    assert figures["households"] == str(panel["households"])
    assert figures["residents"] == str(panel["residents"])
    team = panel["team"]
    assert [figures[k] for k in ("grids", "leaders", "instructors", "members")] == [
        str(team[k]) for k in ("grids", "leaders", "instructors", "members")
    ]
    # an anonymous visitor: no names, the public's view of events
    assert "people" not in figures and team["names_shown"] is False
    assert shown["centres"] == [c["id"] for c in panel["service_centres"]["centres"]]
    assert shown["events"] == [e["tracking_number"] for e in panel["events"]["latest"]]
    events = panel["events"]
    assert all(str(events[k]) in figures["events"] for k in ("events", "open", "overdue"))
    for stage, count in events["open_by_stage"].items():
        assert figures[f"stage_{stage}"] == str(count)
    assert shown["indicators"] == {
        i["name"]: [i["value"], i["district"]] for i in panel["indicators"]["values"]
    }


@pytest.fixture(scope="module")
def grid_point(database_url: str) -> tuple[str, float, float]:
    """A grid with events and a point inside it."""
    with psycopg.connect(database_url) as conn:
        code, lng, lat = conn.execute(
            "SELECT rtrim(g.grid_code), ST_X(p), ST_Y(p) FROM grids AS g,"
            " LATERAL ST_PointOnSurface(g.geom) AS p"
            " WHERE EXISTS (SELECT 1 FROM events AS e WHERE e.grid_code = g.grid_code)"
            " ORDER BY g.grid_code LIMIT 1"
        ).fetchone()
    return code, lat, lng


def test_search_opens_the_right_panel_with_the_apis_figures(
    onemap: OneMap, server: str, grid_point: tuple[str, float, float]
) -> None:
    page = onemap.page
    code = grid_point[0]
    # by code: the grid
    _search_and_pick(page, code, code)
    panel = _api(server, f"places/{code}")
    _assert_panel_is_the_apis(_panel_figures(page), panel)
    # the map went to it
    bounds = page.evaluate(
        "() => { const b = window.onemap.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    west, south, east, north = panel["bbox"]
    assert bounds[0] <= west and bounds[1] <= south and bounds[2] >= east and bounds[3] >= north
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "grid-panel.png"))

    # by name: a community, found by part of its name, and its parent opens from the trail
    community = panel["parents"][-1]
    assert community["level"] == "community"
    part = community["name"][:3]
    hits = _api(server, "search", q=part, level="township,community,grid,building", limit=10)
    assert community["code"] in [hit["code"] for hit in hits["results"]]
    _search_and_pick(page, part, community["code"])
    shown = _panel_figures(page)
    _assert_panel_is_the_apis(shown, _api(server, f"places/{community['code']}"))
    page.locator(".onemap-place-parents .onemap-link").last.click()
    subdistrict = panel["parents"][1]
    page.locator(f'.onemap-place[data-code="{subdistrict["code"]}"]').wait_for()
    _assert_panel_is_the_apis(_panel_figures(page), _api(server, f"places/{subdistrict['code']}"))


def test_a_click_on_a_grid_opens_its_panel(
    onemap: OneMap, server: str, grid_point: tuple[str, float, float]
) -> None:
    page = onemap.page
    code, lat, lng = grid_point
    page.evaluate(
        "([lat, lng]) => window.onemap.map.setView([lat, lng], 15, {animate: false})", [lat, lng]
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(f'.onemap-place[data-code="{code}"]').wait_for()
    _assert_panel_is_the_apis(_panel_figures(page), _api(server, f"places/{code}"))
    page.click(".onemap-place .onemap-close")
    assert page.locator(".onemap-place").is_hidden()


@pytest.fixture(scope="module")
def compound_point(database_url: str) -> tuple[int, float, float]:
    """A compound with buildings and a point inside it that no building covers."""
    with psycopg.connect(database_url) as conn:
        compound, lng, lat = conn.execute(
            "SELECT c.compound_id, ST_X(p), ST_Y(p) FROM compounds AS c,"
            " LATERAL ST_PointOnSurface(ST_Difference(c.geom, (SELECT ST_Union(b.geom)"
            "   FROM buildings AS b WHERE b.compound_id = c.compound_id))) AS p"
            " WHERE EXISTS (SELECT 1 FROM buildings AS b WHERE b.compound_id = c.compound_id)"
            " ORDER BY c.compound_id LIMIT 1"
        ).fetchone()
    return compound, lat, lng


def test_a_building_found_and_a_compound_clicked_open_their_panels(
    onemap: OneMap, server: str, compound_point: tuple[int, float, float], database_url: str
) -> None:
    page = onemap.page
    compound, lat, lng = compound_point
    with psycopg.connect(database_url) as conn:
        (building,) = conn.execute(
            "SELECT building_code FROM buildings WHERE compound_id = %s"
            " ORDER BY building_code LIMIT 1",
            (compound,),
        ).fetchone()
    _search_and_pick(page, building, building)
    _assert_panel_is_the_apis(_panel_figures(page), _api(server, f"places/{building}"))
    # its outline is drawn over the map
    assert page.locator("path.onemap-place-outline").count() == 1

    loaded = page.evaluate(
        """([lat, lng]) => {
            const loaded = window.onemap.nextLoad("compounds");
            window.onemap.map.setView([lat, lng], 15, {animate: false});
            window.onemap.map.addLayer(window.onemap.layers.compounds);
            return loaded;
        }""",
        [lat, lng],
    )
    assert loaded["state"] == "loaded"
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(f'.onemap-place[data-code="{compound}"]').wait_for()
    panel = _api(server, f"places/compounds/{compound}")
    assert panel["level"] == "compound"
    _assert_panel_is_the_apis(_panel_figures(page), panel)
    # the compound's grid opens from the panel
    page.locator(".onemap-place .onemap-link", has_text=panel["grid"]).click()
    page.locator(f'.onemap-place[data-code="{panel["grid"]}"]').wait_for()


def test_a_compound_found_by_part_of_its_name_opens_its_panel_and_the_map_shows_it(
    onemap: OneMap, server: str, database_url: str, words: dict[str, dict[str, str]]
) -> None:
    page = onemap.page
    # a compound whose name no other compound's contains, found by all but its first character
    with psycopg.connect(database_url) as conn:
        compound, name = conn.execute(
            "SELECT c.compound_id, c.name FROM compounds AS c"
            " WHERE char_length(c.name) >= 4 AND NOT EXISTS (SELECT 1 FROM compounds AS o"
            "   WHERE o.name LIKE '%' || substr(c.name, 2) || '%'"
            "   AND o.compound_id <> c.compound_id)"
            " ORDER BY c.compound_id LIMIT 1"
        ).fetchone()
    part = name[1:]
    hit = next(
        r
        for r in _api(server, "search", q=part, level="compound", limit=10)["results"]
        if r["code"] == str(compound)
    )
    page.fill("#onemap-search", part)
    result = page.locator(f'.onemap-search-result[data-level="compound"][data-code="{compound}"]')
    result.wait_for()
    # listed with its kind (小区) and its parents down to the community
    listed = result.inner_text()
    assert name in listed and words["layer_compounds"]["zh"] in listed
    assert hit["path"] in listed and hit["path"].count(" › ") == 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-compound.png"))
    result.click()
    box = page.locator(f'.onemap-place[data-level="compound"][data-code="{compound}"]')
    box.wait_for()
    panel = _api(server, f"places/compounds/{compound}")
    _assert_panel_is_the_apis(_panel_figures(page), panel)
    # the map went to it and outlines it
    assert page.locator("path.onemap-place-outline").count() == 1
    bounds = page.evaluate(
        "() => { const b = window.onemap.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    west, south, east, north = panel["bbox"]
    assert bounds[0] <= west and bounds[1] <= south and bounds[2] >= east and bounds[3] >= north
    # and not merely somewhere: the compound fills a good part of the view
    assert (east - west) / (bounds[2] - bounds[0]) > 0.1
    page.screenshot(path=str(SCREENSHOTS / "compound-panel.png"))


def _choose(page: Page, level: str, indicator: str, method: str) -> dict[str, Any]:
    """Picks the choropleth's level, indicator and method in the panel; the load's outcome."""
    if not page.is_checked("#onemap-choropleth-on"):
        page.click("#onemap-choropleth-on")
    for menu, value in (("level", level), ("indicator", indicator), ("method", method)):
        page.select_option(f"#onemap-choropleth-{menu}", value)
    return page.evaluate("() => window.onemap.analysis.choropleth.loaded")


def _legend_and_fills(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const rows = [...document.querySelectorAll(".onemap-choropleth-class")].map(row => ({
                class: row.dataset.class, lower: Number(row.dataset.lower),
                upper: Number(row.dataset.upper), count: Number(row.dataset.count),
                colour: row.dataset.colour,
                swatch: getComputedStyle(row.querySelector(".onemap-legend-swatch"))
                    .backgroundColor,
            }));
            const paths = [...document.querySelectorAll("path.onemap-choropleth")].map(path => ({
                code: path.getAttribute("data-code"), class: path.getAttribute("data-class"),
                fill: path.getAttribute("fill"),
            }));
            return {rows, paths};
        }"""
    )


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.parametrize(
    ("level", "indicator", "method"),
    [
        ("grid", "events_per_1000_households", "natural_breaks"),
        ("community", "closure_rate", "quantiles"),
        ("subdistrict", "service_coverage_15", "quantiles"),
    ],
)
def test_a_choropleths_legend_and_fills_are_the_apis_classes(
    onemap: OneMap, server: str, level: str, indicator: str, method: str
) -> None:
    page = onemap.page
    outcome = _choose(page, level, indicator, method)
    assert "error" not in outcome, outcome
    served = _api(server, "indicators/areas", level=level, indicator=indicator, method=method)
    classes = served["classes"]
    assert len(classes) >= 2
    shown = _legend_and_fills(page)
    keyed = [row for row in shown["rows"] if row["class"] != ""]
    assert [(r["class"], r["lower"], r["upper"], r["count"]) for r in keyed] == [
        (str(c["class"]), c["lower"], c["upper"], c["count"]) for c in classes
    ]
    missing = [a for a in served["areas"] if a["value"] is None]
    unkeyed = [row for row in shown["rows"] if row["class"] == ""]
    assert [r["count"] for r in unkeyed] == ([len(missing)] if missing else [])
    # the legend's key is drawn in the colour it names, and the colours go one way
    for row in shown["rows"]:
        assert row["swatch"] == _rgb(row["colour"])
    assert len({row["colour"] for row in shown["rows"]}) == len(shown["rows"])

    # every area of the level drawn, once, in its class as the API gives it, in that
    # class's colour in the legend
    colour = {row["class"]: row["colour"] for row in shown["rows"]}
    by_code = {a["code"]: a for a in served["areas"]}
    assert sorted(p["code"] for p in shown["paths"]) == sorted(by_code)
    for path in shown["paths"]:
        area = by_code[path["code"]]
        expected = "" if area["class"] is None else str(area["class"])
        assert path["class"] == expected, path
        assert path["fill"] == colour[expected], path

    # the definition and unit are the API's, beside the legend, and the district's figure
    panel = page.locator(".onemap-analysis")
    assert (
        panel.locator(".onemap-definition").text_content()
        == served["indicator"]["definition"]["zh"]
    )
    assert served["indicator"]["unit"]["zh"] in panel.inner_text()
    total = panel.locator(".onemap-analysis-total").get_attribute("data-value")
    assert total is not None and float(total) == served["total"]["value"]
    # each indicator the menu offers is called what the API calls it
    options = page.eval_on_selector_all(
        "#onemap-choropleth-indicator option", "os => os.map(o => [o.value, o.textContent])"
    )
    for name, label in options:
        if name.startswith("patrol_"):
            continue  # the analysts' only: the API answers them to a signed-in analyst
        title = _api(server, "indicators/areas", level=level, indicator=name)["indicator"]["title"]
        assert label == title["zh"], name
    if level == "community":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "choropleth-communities.png"))


def test_the_charts_draw_the_apis_event_indicators(onemap: OneMap, server: str) -> None:
    page = onemap.page
    vocabulary = httpx.get(f"{server}/api/v1/vocabulary", timeout=30).json()
    names = {
        group: {t["value"]: t["zh"] for t in vocabulary[key]["terms"]}
        for group, key in (("category", "event_categories"), ("source", "event_sources"))
    }
    page.click("#onemap-charts-toggle")
    for group in ("month", "category", "source"):
        page.click(f'.onemap-tab[data-group="{group}"]')
        drawn = page.evaluate("() => window.onemap.analysis.charts.drawn")
        assert drawn["group"] == group
        # what the chart holds, read back from ECharts
        option = page.evaluate(
            """async () => {
                const echarts = await import("echarts");
                const chart = echarts.getInstanceByDom(document.querySelector(".onemap-chart"));
                const option = chart.getOption();
                const axis = [...option.xAxis, ...option.yAxis].find(a => a.type === "category");
                return {labels: axis.data, series: option.series.map(s => [s.id, s.data])};
            }"""
        )
        served = _api(server, "indicators/events", group_by=group)["groups"]
        keys = [row["key"] for row in served]
        assert option["labels"] == (keys if group == "month" else [names[group][k] for k in keys])
        figures = ["reported", "closed", "overdue"] if group == "month" else ["reported"]
        assert option["series"] == [[f, [row[f] for row in served]] for f in figures]
        assert page.locator(".onemap-chart svg").count() == 1
    assert any(path.endswith("/vendor/echarts/echarts.esm.min.js") for path in onemap.log.requests)


def test_the_english_toggle_changes_the_new_labels(
    onemap: OneMap,
    server: str,
    words: dict[str, dict[str, str]],
    grid_point: tuple[str, float, float],
) -> None:
    page = onemap.page
    code = grid_point[0]
    _choose(page, "community", "closure_rate", "quantiles")
    page.click("#onemap-charts-toggle")
    page.evaluate("() => window.onemap.analysis.charts.drawn")
    _search_and_pick(page, code, code)
    assert page.get_attribute("#onemap-search", "placeholder") == words["search_placeholder"]["zh"]

    page.click("#onemap-language")
    page.evaluate("() => window.onemap.analysis.choropleth.loaded")
    page.evaluate("() => window.onemap.analysis.charts.drawn")
    assert page.get_attribute("#onemap-search", "placeholder") == words["search_placeholder"]["en"]
    # the page's own words in the panels: headings, terms, menus, legend, definition
    labels = page.evaluate(
        """() => [...document.querySelectorAll(
                ".onemap-analysis, .onemap-charts-header, .onemap-chart-tabs,"
                + " .onemap-place h3, .onemap-place dt, .onemap-place th,"
                + " .onemap-place-kind, .onemap-place-code, .onemap-place-counts")]
            .map(node => node.innerText.trim())"""
    )
    assert labels and [text for text in labels if CJK.search(text)] == []
    served = _api(server, "indicators/areas", level="community", indicator="closure_rate")
    definition = page.locator(".onemap-definition").text_content()
    assert definition == served["indicator"]["definition"]["en"]
    assert words["analysis"]["en"] in page.locator(".onemap-analysis h2").text_content()
    series = page.evaluate(
        """async () => {
            const echarts = await import("echarts");
            const chart = echarts.getInstanceByDom(document.querySelector(".onemap-chart"));
            return chart.getOption().series.map(s => s.name);
        }"""
    )
    assert series == [words[f"events_{f}"]["en"] for f in ("reported", "closed", "overdue")]
    # the place's own names stay as they are
    panel = _api(server, f"places/{code}")
    assert page.locator(".onemap-place h2").text_content() == panel["name"]
    page.click("#onemap-language")
    assert page.locator(".onemap-analysis h2").text_content() == words["analysis"]["zh"]


STAFF_PASSWORD = "指挥中心 2026 winter"


@pytest.fixture(scope="module")
def staff(database_url: str, grid_point: tuple[str, float, float]) -> str:
    """A command-centre staff member, and a grid member signed up to the grid."""
    with psycopg.connect(database_url) as conn:
        directory.add(
            conn, login="analysis.staff", name="陈明", role="staff", password=STAFF_PASSWORD
        )
        directory.add(
            conn,
            login="analysis.member",
            name="李芳",
            role="grid_member",
            password=STAFF_PASSWORD,
            grids=(grid_point[0],),
        )
    return "analysis.staff"


def test_signed_in_staff_see_the_team_and_patrols(
    onemap: OneMap, server: str, staff: str, grid_point: tuple[str, float, float]
) -> None:
    page = onemap.page
    code = grid_point[0]
    status = page.evaluate(
        """([login, password]) => fetch("api/v1/session", {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({login, password}),
        }).then(r => r.status)""",
        [staff, STAFF_PASSWORD],
    )
    assert status in (200, 201, 204)
    # as the sign-in page does (web/signin.js): the mark that has the map ask who is signed
    # in, and the map again, which now offers the patrol indicators (web/core/session.js)
    page.evaluate("() => localStorage.setItem('onemap.signedIn', '1')")
    page.reload()
    page.evaluate("() => window.onemap.ready")
    # the panel as the API answers this staff member (the same session)
    panel = page.evaluate(f"() => fetch('api/v1/places/{code}').then(r => r.json())")
    assert panel["team"]["names_shown"] is True and panel["patrols"] is not None
    _search_and_pick(page, code, code)
    shown = _panel_figures(page)
    assert shown["figures"]["people"] == "、".join(p["name"] for p in panel["team"]["people"])
    assert "李芳" in shown["figures"]["people"]
    patrols = panel["patrols"]
    assert patrols["buildings_patrolled"] is not None
    assert str(patrols["buildings_patrolled"]) in page.locator(".onemap-place").inner_text()
    # the patrol indicators are the analysts' and now come with the panel and the choropleth
    assert {"patrol_coverage", "patrol_standard"} <= set(shown["indicators"])
    outcome = _choose(page, "grid", "patrol_coverage", "quantiles")
    assert "error" not in outcome, outcome
    classes = page.evaluate(
        """() => [...document.querySelectorAll(".onemap-choropleth-class[data-lower]")]
            .map(row => Number(row.dataset.upper))"""
    )
    served = page.evaluate(
        "() => fetch('api/v1/indicators/areas?level=grid&indicator=patrol_coverage')"
        ".then(r => r.json())"
    )
    assert classes == [c["upper"] for c in served["classes"]]
