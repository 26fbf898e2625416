"""Events on the one map in a real headless Chromium against a real uvicorn on the demo
district: zoomed out, the layer draws exactly the cells the events API counts for the view
and the filters, and they hold every event the listing gives; zoomed in, exactly the
events the listing gives; a filter narrows both; an event reported through the API is on
the map and in the queue within 2 s, without a reload; a member of the command centre
dispatches an event from its panel and its history shows it; an anonymous visitor sees no
action buttons and no personal data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page

from gis.people import directory
from tests.web.test_dashboard import SCREENSHOTS, OneMap, _opened, _opened_signed_in

STAFF_LOGIN = "events.staff"
STAFF_PASSWORD = "指挥中心 派遣 2026"
OPEN_STAGES = ("reported", "filed", "dispatched", "in_progress", "handled")
OPEN = ",".join(OPEN_STAGES)
LIVE_WITHIN_S = 2.0


@pytest.fixture(scope="module")
def staff(database_url: str, demo_district: dict[str, int]) -> str:
    with psycopg.connect(database_url) as conn:
        directory.add(conn, login=STAFF_LOGIN, name="韦指挥", role="staff", password=STAFF_PASSWORD)
    return STAFF_LOGIN


def _filed_event(database_url: str, newest: bool) -> dict[str, Any]:
    """A filed event of a public category (the oldest or the newest), with the personal
    data the database holds for it."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT e.event_id, e.tracking_number, e.reporter_name, e.reporter_phone, e.address"
            " FROM events AS e JOIN event_categories AS c USING (category_code)"
            " WHERE e.status = 'filed' AND c.public AND e.hidden_at IS NULL"
            f" ORDER BY e.event_id {'DESC' if newest else 'ASC'} LIMIT 1"
        ).fetchone()
    assert row is not None, "the demo has no filed event"
    keys = ("id", "tracking_number", "reporter_name", "reporter_phone", "address")
    return dict(zip(keys, row, strict=True))


def _served_ids(server: str, key: str, bbox: str) -> list[int]:
    """What the events API serves for the loader's key (its query, then "|revision") and
    bbox, every page of it."""
    query = dict(parse_qsl(key.split("|")[0]))
    ids: list[int] = []
    url: str | None = f"{server}/api/v1/events"
    params: dict[str, Any] | None = {**query, "bbox": bbox, "limit": 1000}
    while url:
        page = httpx.get(url, params=params, timeout=60)
        assert page.status_code == 200, page.text
        body = page.json()
        ids.extend(feature["id"] for feature in body["features"])
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        params = None
    return sorted(ids)


def _served_cells(server: str, loaded: dict[str, Any]) -> dict[str, int]:
    """The cells the events API counts for a load's key (its query, then "|cells Z|…")
    and bbox: cell id → events."""
    query, band = loaded["key"].split("|")[:2]
    assert band.startswith("cells "), loaded["key"]
    params = {**dict(parse_qsl(query)), "bbox": loaded["bbox"], "zoom": band.split()[1]}
    answer = httpx.get(f"{server}/api/v1/events/cells", params=params, timeout=60)
    assert answer.status_code == 200, answer.text
    return {cell["id"]: cell["properties"]["events"] for cell in answer.json()["features"]}


def _drawn_cells(page: Page) -> dict[str, int]:
    return dict(
        page.evaluate(
            "() => window.onemap.layers.events.getLayers()"
            ".filter(m => m.feature.properties.events !== undefined)"
            ".map(m => [m.feature.id, m.feature.properties.events])"
        )
    )


def _drawn_stages(page: Page) -> set[str]:
    return set(
        page.evaluate(
            "() => window.onemap.layers.events.getLayers()"
            ".flatMap(m => Object.keys(m.feature.properties.stages))"
        )
    )


def _move(page: Page, lat: float, lng: float, zoom: float) -> dict[str, Any]:
    """Sets the view; the events layer's load for it."""
    return page.evaluate(
        """([lat, lng, zoom]) => {
            const loaded = window.onemap.nextLoad("events");
            window.onemap.map.setView([lat, lng], zoom, { animate: false });
            return loaded;
        }""",
        [lat, lng, zoom],
    )


def _drawn_ids(page: Page) -> list[int]:
    return page.evaluate(
        "() => window.onemap.layers.events.getLayers().map(m => m.feature.id).sort((a, b) => a - b)"
    )


def _query(loaded: dict[str, Any]) -> dict[str, str]:
    """The events API's query parameters a load was made with (its key's first part)."""
    return dict(parse_qsl(loaded["key"].split("|")[0]))


def _choose(page: Page, name: str, value: str, expected: dict[str, str]) -> dict[str, Any]:
    """Sets filter `name` in the filter panel; the events layer's load for it, which asks
    the API for `expected`. (A reload the live feed began just before may end first: its
    outcome is passed over.)"""
    loaded = page.evaluate(
        """([name, value]) => {
            const loaded = window.onemap.nextLoad("events");
            const field = document.getElementById(`onemap-event-${name}`);
            field.value = value;
            field.dispatchEvent(new Event("change", { bubbles: true }));
            return loaded;
        }""",
        [name, value],
    )
    for _ in range(3):
        if loaded["state"] != "loaded" or _query(loaded) == expected:
            break
        loaded = page.evaluate("() => window.onemap.nextLoad('events')")
    assert loaded["state"] == "loaded", loaded
    assert _query(loaded) == expected
    return loaded


def _wait_live(page: Page) -> None:
    page.wait_for_selector("#onemap-queue .onemap-live.is-live", timeout=10_000)


@pytest.fixture
def onemap(browser: Browser, server: str) -> Iterator[OneMap]:
    with _opened(browser, server) as loaded:
        yield loaded


def test_the_layer_draws_what_the_api_serves_and_a_filter_narrows_both(
    onemap: OneMap, server: str
) -> None:
    page = onemap.page
    # every stage (the page opens on the open ones): zoomed out on the district, the cells
    # the API counts for the view, holding every event the listing gives for it
    everything = _choose(page, "stage", "", {})
    served = _served_ids(server, everything["key"], everything["bbox"])
    assert len(served) > 1000  # the whole district's year
    cells = _served_cells(server, everything)
    assert _drawn_cells(page) == cells
    assert sum(cells.values()) == len(served) == everything["drawn"]
    drawn = _drawn_ids(page)
    assert len(drawn) == len(cells) and set(drawn) == set(cells)  # nothing but cells
    # far fewer marks than events, each mark the number of events it stands for
    marks = page.eval_on_selector_all(
        ".onemap-event-cluster", "nodes => nodes.map(n => Number(n.textContent))"
    )
    assert 0 < len(marks) < len(served) / 10
    assert page.locator(".leaflet-marker-icon.onemap-event").count() == 0
    assert max(marks) > 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "events-district-all.png"))

    lifts = _choose(page, "category", "09", {"category": "09"})
    narrowed = _served_ids(server, lifts["key"], lifts["bbox"])
    assert 0 < len(narrowed) < len(served)
    lift_cells = _served_cells(server, lifts)
    assert _drawn_cells(page) == lift_cells
    assert sum(lift_cells.values()) == len(narrowed)

    open_lifts = _choose(page, "stage", "open", {"category": "09", "status": OPEN})
    open_cells = _served_cells(server, open_lifts)
    assert _drawn_cells(page) == open_cells
    assert sum(open_cells.values()) == len(
        _served_ids(server, open_lifts["key"], open_lifts["bbox"])
    )
    assert _drawn_stages(page) <= set(OPEN_STAGES)

    # a period: the API's reported_after/reported_before, the last day included
    _choose(page, "category", "", {"status": OPEN})
    _choose(page, "stage", "", {})
    _choose(page, "from", "2026-10-01", {"reported_after": "2026-10-01"})
    october = _choose(
        page, "to", "2026-10-31", {"reported_after": "2026-10-01", "reported_before": "2026-11-01"}
    )
    in_october = _served_ids(server, october["key"], october["bbox"])
    assert 0 < len(in_october) < len(served)
    assert sum(_drawn_cells(page).values()) == len(in_october)

    # zoomed in on the busiest cell, each event of October as the listing gives it
    busiest = max(_drawn_cells(page).items(), key=lambda item: item[1])[0]
    west, south, east, north = page.evaluate(
        "id => window.onemap.layers.events.getLayers().find(m => m.feature.id === id).feature.bbox",
        busiest,
    )
    close = _move(page, (south + north) / 2, (west + east) / 2, 15)
    assert close["key"].split("|")[1] == "points"
    points = _served_ids(server, close["key"], close["bbox"])
    assert 0 < len(points) == close["drawn"]
    assert _drawn_ids(page) == points
    assert _drawn_cells(page) == {}
    page.screenshot(path=str(SCREENSHOTS / "events-district-close.png"))
    # the filters went to the API as its query parameters: nothing was hidden on the page
    asked = [
        dict(parse_qsl(urlsplit(url).query))
        for url in onemap.log.requests
        if urlsplit(url).path == "/api/v1/events/cells" and "bbox=" in url
    ]
    assert any(q.get("category") == "09" and "bbox" in q and "zoom" in q for q in asked)


def test_an_event_reported_through_the_api_appears_live(
    onemap: OneMap, server: str, database_url: str
) -> None:
    page = onemap.page
    _wait_live(page)
    with psycopg.connect(database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids"
            " ORDER BY grid_code LIMIT 1 OFFSET 40) AS g"
        ).fetchone()
    # close enough to the place for each event to be drawn (zoomed out they are counted)
    assert _move(page, lat, lng, 16)["key"].split("|")[1] == "points"
    before = page.locator("#onemap-queue .onemap-queue-counts").text_content()
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {
            "category": "0101",
            "description": "路口垃圾堆放，测试实时更新",
            "source": "qr",
            "reporter_name": "覃小姐",
            "reporter_phone": "13907715678",
        },
    }
    answer = httpx.post(f"{server}/api/v1/events", json=report, timeout=30)
    posted = time.monotonic()
    assert answer.status_code == 201, answer.text
    event = answer.json()
    assert event["properties"]["status"] in OPEN_STAGES
    page.wait_for_function(
        "id => window.onemap.layers.events.getLayers().some(m => m.feature.id === id)",
        arg=event["id"],
        timeout=LIVE_WITHIN_S * 1000,
    )
    page.wait_for_selector(
        f'#onemap-queue li[data-event-id="{event["id"]}"]', timeout=LIVE_WITHIN_S * 1000
    )
    elapsed = time.monotonic() - posted
    assert elapsed < LIVE_WITHIN_S, elapsed
    assert page.locator("#onemap-queue .onemap-queue-counts").text_content() != before
    # no reload: the page that was loaded before the report is the one that shows it
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    # it is drawn where the API puts it (the public, coarsened point)
    drawn = page.evaluate(
        """id => window.onemap.layers.events.getLayers()
            .find(m => m.feature.id === id).getLatLng()""",
        event["id"],
    )
    served_lng, served_lat = event["geometry"]["coordinates"]
    assert drawn == pytest.approx({"lat": served_lat, "lng": served_lng})
    page.screenshot(path=str(SCREENSHOTS / "events-live.png"))


def test_an_anonymous_visitor_sees_no_actions_and_no_personal_data(
    onemap: OneMap, database_url: str
) -> None:
    page = onemap.page
    event = _filed_event(database_url, newest=True)
    page.locator(f'#onemap-queue li[data-event-id="{event["id"]}"]').click()
    panel = page.wait_for_selector(f'#onemap-event[data-event-id="{event["id"]}"]')
    # the map brings the event out of its cluster and rings it
    page.wait_for_selector(
        f'.onemap-event.is-selected[data-event-id="{event["id"]}"]', state="visible"
    )
    text = panel.text_content()
    assert event["tracking_number"] in text
    assert page.locator("#onemap-event .onemap-event-action").count() == 0
    assert page.locator("#onemap-event-note").count() == 0
    # only the way to sign in
    assert page.get_attribute("#onemap-event a.onemap-signin-link", "href") == "signin?next=%2F"
    for personal in (event["reporter_name"], event["reporter_phone"], event["address"]):
        if personal:
            assert personal not in page.content()
    # nobody is asked who is signed in: an anonymous visit makes no refused request
    assert not any(urlsplit(url).path == "/api/v1/session" for url in onemap.log.requests)
    page.screenshot(path=str(SCREENSHOTS / "event-panel-anonymous.png"))


def test_staff_dispatch_an_event_from_its_panel(
    browser: Browser, server: str, staff: str, database_url: str
) -> None:
    event = _filed_event(database_url, newest=False)
    with _opened_signed_in(browser, server, staff, STAFF_PASSWORD) as onemap:
        page = onemap.page
        _wait_live(page)
        # from the queue, as an officer would
        item = page.locator(f'#onemap-queue li[data-event-id="{event["id"]}"]')
        item.click()
        page.wait_for_selector(f'#onemap-event[data-event-id="{event["id"]}"]')
        buttons = page.eval_on_selector_all(
            "#onemap-event .onemap-event-action", "nodes => nodes.map(n => n.dataset.action)"
        )
        # a filed event: what staff may do to it (gis/events/stages.py), and nothing else
        assert set(buttons) == {"dispatch", "merge", "reject", "not_responsible"}
        # sent to a department of the event's county, picked by name
        department = page.locator("#onemap-event-department")
        page.wait_for_function(
            "() => document.querySelectorAll('#onemap-event-department option').length > 2"
        )
        department.select_option(label="城管局")
        page.fill("#onemap-event-note", "请今日处理")
        page.click('#onemap-event .onemap-event-action[data-action="dispatch"]')
        page.wait_for_selector('#onemap-event .onemap-event-history li[data-action="dispatch"]')
        page.screenshot(path=str(SCREENSHOTS / "event-panel-dispatched.png"))

        with psycopg.connect(database_url) as conn:
            (sent_to,) = conn.execute(
                "SELECT d.department_code FROM events AS e JOIN departments AS d"
                " ON d.department_id = e.department_id WHERE e.event_id = %s",
                (event["id"],),
            ).fetchone()
            assert sent_to == "chengguan"
            status, (action, role, note) = (
                conn.execute(
                    "SELECT status FROM events WHERE event_id = %s", (event["id"],)
                ).fetchone()[0],
                conn.execute(
                    "SELECT action, actor_role, note FROM event_history WHERE event_id = %s"
                    " ORDER BY history_id DESC LIMIT 1",
                    (event["id"],),
                ).fetchone(),
            )
        assert (status, action, role, note) == (
            "dispatched",
            "dispatch",
            "staff",
            "请今日处理",
        )
        # the panel says the new stage, and the queue (back on closing) has it moved on
        stage = page.locator("#onemap-event dd").nth(2).text_content()
        assert stage == "任务派遣"


def _open_panel(page: Page, event_id: int) -> list[str]:
    """Opens the event's panel; the actions it offers."""
    page.evaluate("(id) => window.onemap.openEvent(id)", event_id)
    page.wait_for_selector(f'#onemap-event[data-event-id="{event_id}"]')
    return page.eval_on_selector_all(
        "#onemap-event .onemap-event-action", "nodes => nodes.map(n => n.dataset.action)"
    )


def test_staff_merge_a_duplicate_and_record_a_rating_from_the_panel(
    browser: Browser, server: str, staff: str, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        # two events in handling (the other tests take filed ones)
        (repeat, repeat_status), (original, original_number) = (
            conn.execute(
                "SELECT e.event_id, e.status::text FROM events AS e"
                " JOIN event_categories AS c USING (category_code)"
                " WHERE e.status = 'in_progress' AND c.public AND e.hidden_at IS NULL"
                " ORDER BY e.event_id LIMIT 1"
            ).fetchone(),
            conn.execute(
                "SELECT e.event_id, e.tracking_number FROM events AS e"
                " JOIN event_categories AS c USING (category_code)"
                " WHERE e.status = 'in_progress' AND c.public AND e.hidden_at IS NULL"
                " ORDER BY e.event_id OFFSET 1 LIMIT 1"
            ).fetchone(),
        )
        (closed,) = conn.execute(
            "SELECT e.event_id FROM events AS e JOIN event_categories AS c USING (category_code)"
            " WHERE e.status = 'closed' AND c.public AND e.hidden_at IS NULL"
            " ORDER BY e.event_id LIMIT 1"
        ).fetchone()
    assert repeat_status == "in_progress"
    with _opened_signed_in(browser, server, staff, STAFF_PASSWORD) as onemap:
        page = onemap.page
        assert "merge" in _open_panel(page, repeat)
        page.fill("#onemap-event-duplicate-of", original_number)
        page.click('#onemap-event .onemap-event-action[data-action="merge"]')
        page.wait_for_selector('#onemap-event .onemap-event-history li[data-action="merge"]')

        assert _open_panel(page, closed) == ["rework", "evaluate"]
        page.locator("#onemap-event-rating").select_option("4")
        page.fill("#onemap-event-note", "电话回访：满意")
        page.click('#onemap-event .onemap-event-action[data-action="evaluate"]')
        page.wait_for_selector('#onemap-event .onemap-event-history li[data-action="evaluate"]')
        page.screenshot(path=str(SCREENSHOTS / "event-panel-evaluated.png"))
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT status::text, duplicate_of FROM events WHERE event_id = %s", (repeat,)
        ).fetchone() == ("duplicate", original)
        assert conn.execute(
            "SELECT status::text, rating FROM events WHERE event_id = %s", (closed,)
        ).fetchone() == ("evaluated", 4)
