"""Every public surface shows events through one public view: a phone number, an ID-card
number and a landline planted in a report and in a staff note, a care visit (a category
the public may not see) and the report's exact point are searched for in every anonymous
response, and in what the live feed sends and replays."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis.events.feed import FeedFilter, replay
from tests.planters.event_places import IN_EAST, planted_database

EVENTS = "/api/v1/events"
PHONE, ID_CARD, LANDLINE = "13912345678", "45010519800101123X", "0771-5551234"
# inside the east grid, with decimals no coarsened point shares
POINT = (round(IN_EAST[0] + 0.0012345, 7), round(IN_EAST[1] + 0.0006789, 7))
SECRETS = (PHONE, ID_CARD, "5551234", f"{POINT[0]:.5f}", f"{POINT[1]:.5f}")


@pytest.fixture(scope="module")
def planted(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    """A report full of numbers, noted on by staff, and a care visit; the notifications
    their writes sent."""
    with planted_database(admin_url, migrated_template, "public_view") as (url, secrets):
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=4))
        with TestClient(app) as client, psycopg.connect(url, autocommit=True) as listener:
            listener.execute("LISTEN onemap_events")
            report = client.post(
                EVENTS,
                json={
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": list(POINT)},
                    "properties": {
                        "category": "0901",
                        "description": f"电梯坏了，联系{PHONE}，身份证{ID_CARD}，座机{LANDLINE}",
                    },
                },
            )
            assert report.status_code == 201, report.text
            staff = {"Authorization": f"Bearer {secrets['staff']}"}
            filed = client.post(
                f"{EVENTS}/{report.json()['id']}/transitions",
                json={"action": "accept", "note": f"已电话联系 {PHONE}", "note_public": True},
                headers=staff,
            )
            assert filed.status_code == 200, filed.text
            care = client.post(
                EVENTS,
                json={
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": list(IN_EAST)},
                    "properties": {"category": "1001", "description": "独居老人，需每周探访"},
                },
            )
            assert care.status_code == 201, care.text
            notified = [n.payload for n in listener.notifies(timeout=2.0)]
            yield {
                "client": client,
                "url": url,
                "staff": staff,
                "report": report.json(),
                "care": care.json(),
                "notified": notified,
            }


def _public_surfaces(report: dict[str, Any], care: dict[str, Any]) -> list[tuple[str, int]]:
    """Every anonymous GET that shows events, with the status it answers."""
    tracking = report["properties"]["tracking_number"]
    care_tracking = care["properties"]["tracking_number"]
    box = f"{POINT[0] - 0.01},{POINT[1] - 0.01},{POINT[0] + 0.01},{POINT[1] + 0.01}"
    return [
        (EVENTS, 200),
        (f"{EVENTS}?category=09,10", 200),
        (f"{EVENTS}?bbox={box}", 200),
        (f"{EVENTS}/{report['id']}", 200),
        (f"{EVENTS}/{tracking}", 200),
        (f"{EVENTS}/{care['id']}", 404),
        (f"{EVENTS}/{care_tracking}", 404),
        ("/ogc/collections/events/items?limit=1000", 200),
        (f"/ogc/collections/events/items?bbox={box}", 200),
        (f"/ogc/collections/events/items/{report['id']}", 200),
        (f"/ogc/collections/events/items/{care['id']}", 404),
        ("/open311/v2/requests.json", 200),
        (f"/open311/v2/requests.json?service_request_id={tracking},{care_tracking}", 200),
        (f"/open311/v2/requests/{tracking}.json", 200),
        (f"/open311/v2/requests/{care_tracking}.json", 404),
    ]


def test_no_anonymous_response_shows_numbers_points_or_care_visits(planted):
    client, report, care = planted["client"], planted["report"], planted["care"]
    tracking = report["properties"]["tracking_number"]
    care_tracking = care["properties"]["tracking_number"]
    listed = 0
    for path, status in _public_surfaces(report, care):
        response = client.get(path)
        assert response.status_code == status, (path, response.text)
        text = response.text
        for secret in (*SECRETS, care_tracking, "独居老人"):
            # a 404 may name what was asked for, and nothing more
            assert secret not in text or secret in path, (path, secret)
        listed += tracking in text
    # not vacuous: the report itself is on every surface that lists or shows it
    assert listed == 11


def test_the_public_sees_masked_numbers_and_a_coarse_point(planted):
    client, report = planted["client"], planted["report"]
    public = client.get(f"{EVENTS}/{report['id']}").json()
    description = public["properties"]["description"]
    assert "139****5678" in description and "450105********123X" in description
    assert "0771-********" in description
    assert [h["note"] for h in public["properties"]["history"]][-1] == "已电话联系 139****5678"
    lon, lat = public["geometry"]["coordinates"]
    # the centre of its 50 m cell: within 36 m of the point (half the cell's diagonal)
    assert (lon, lat) != pytest.approx(POINT, abs=1e-6)
    assert abs(lon - POINT[0]) < 0.00026 and abs(lat - POINT[1]) < 0.00023
    # staff see what was reported
    staff = client.get(f"{EVENTS}/{report['id']}", headers=planted["staff"]).json()
    assert staff["geometry"]["coordinates"] == pytest.approx(POINT, abs=1e-7)
    assert PHONE in staff["properties"]["description"]
    care = client.get(f"{EVENTS}/{planted['care']['id']}", headers=planted["staff"])
    assert care.status_code == 200 and care.json()["properties"]["category_code"] == "1001"


def test_the_live_feed_sends_and_replays_only_the_public_view(planted):
    care_id = planted["care"]["id"]
    sent = [summary for payload in planted["notified"] for summary in json.loads(payload)]
    assert {s["event_id"] for s in sent} == {planted["report"]["id"]}

    async def replayed() -> list[str]:
        async with await psycopg.AsyncConnection.connect(planted["url"]) as conn:
            return [t.data for t in await replay(conn, 0, FeedFilter())]

    replay_data = asyncio.run(replayed())
    assert replay_data and all(f'"event_id":{care_id},' not in data for data in replay_data)
    for text in [*planted["notified"], *replay_data]:
        for secret in SECRETS:
            assert secret not in text, secret


def test_moderators_hide_events_redact_text_and_keep_notes_internal(planted):
    client, staff = planted["client"], planted["staff"]
    report = client.post(
        EVENTS,
        json={
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(IN_EAST)},
            "properties": {"category": "0101", "description": "楼下张三天天占道，骂他祖宗"},
        },
    ).json()
    event = f"{EVENTS}/{report['id']}"
    # (0101 is dispatched to 城管局 on intake)
    accepted = client.post(
        f"{event}/transitions",
        json={"action": "accept", "note": "内部：疑为邻里纠纷"},
        headers=staff,
    )
    assert accepted.status_code == 200, accepted.text
    # a note is internal unless written for the public
    public = client.get(event).json()["properties"]
    assert [h["note"] for h in public["history"]][-1] == ""
    staff_view = client.get(event, headers=staff).json()["properties"]
    assert staff_view["history"][-1]["note"] == "内部：疑为邻里纠纷"
    assert staff_view["history"][-1]["note_public"] is False
    tracking = report["properties"]["tracking_number"]
    assert "疑为邻里纠纷" not in client.get(f"/open311/v2/requests/{tracking}.json").text
    # a redacted description for the public; staff keep the original
    redacted = client.post(
        f"{event}/moderation",
        json={"public_description": "有人占道经营", "reason": "含人名与辱骂"},
        headers=staff,
    )
    assert redacted.status_code == 200, redacted.text
    assert client.get(event).json()["properties"]["description"] == "有人占道经营"
    listed = client.get(EVENTS, params={"limit": 1000}).text
    assert "张三" not in listed and "有人占道经营" in listed
    assert "张三" not in client.get("/ogc/collections/events/items?limit=1000").text
    assert "张三" in client.get(event, headers=staff).json()["properties"]["description"]
    # hidden: gone from every public surface, still there for staff
    refused = client.post(f"{event}/moderation", json={"hidden": True}, headers=staff)
    assert refused.status_code == 422 and "reason" in refused.text
    hidden = client.post(
        f"{event}/moderation", json={"hidden": True, "reason": "辱骂"}, headers=staff
    )
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert client.get(event).status_code == 404
    assert tracking not in client.get(EVENTS, params={"limit": 1000}).text
    assert tracking not in client.get("/ogc/collections/events/items?limit=1000").text
    assert tracking not in client.get("/open311/v2/requests.json").text
    seen = client.get(event, headers=staff).json()["properties"]["moderation"]
    assert seen["hidden"] is True and seen["hidden_reason"] == "辱骂"
    # each step is in the admin log
    with psycopg.connect(planted["url"]) as conn:
        logged = conn.execute(
            "SELECT action FROM admin_log WHERE target = %s ORDER BY entry_id", (tracking,)
        ).fetchall()
    assert [a for (a,) in logged if a.startswith("event.")] == ["event.redact", "event.hide"]
