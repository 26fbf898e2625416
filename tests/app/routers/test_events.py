"""The events API: the loop walked over HTTP, idempotent reports, photos, every bad
input's status with nothing stored, and personal data never in public output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis.ogc.collections import COLLECTIONS
from tests.planters.event_places import (
    EAST_GRID,
    IN_EAST,
    IN_FAR,
    IN_WEST_NORTH,
    IN_WEST_SOUTH,
    OUTSIDE,
    WEST_SOUTH,
    photo_bytes,
    planted_database,
)

EVENTS = "/api/v1/events"


@pytest.fixture(scope="module")
def api(admin_url: str, migrated_template: str) -> Iterator[tuple[TestClient, dict, str]]:
    with planted_database(admin_url, migrated_template, "api") as (url, secrets):
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=4))
        with TestClient(app) as client:
            yield client, secrets, url


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def feature(category: str, point=None, **properties: Any) -> dict[str, Any]:
    geometry = None if point is None else {"type": "Point", "coordinates": list(point)}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"category": category, "description": "测试事件", **properties},
    }


def event_count(url: str) -> tuple[int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_photos),"
            " (SELECT count(*) FROM idempotency_keys)"
        ).fetchone()
        assert row is not None
        return row


def act(client, event_id, headers, **body):
    return client.post(f"{EVENTS}/{event_id}/transitions", json=body, headers=headers)


def test_a_qr_report_goes_round_the_whole_loop(api):
    client, secrets, _url = api
    created = client.post(EVENTS, json=feature("0701", IN_WEST_SOUTH))  # disputes → the grid
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/geo+json")
    event = created.json()
    event_id, key = event["id"], event["reporter_key"]
    assert created.headers["location"] == f"{EVENTS}/{event_id}"
    props = event["properties"]
    assert (props["status"], props["source"], props["grid_code"]) == (
        "dispatched",
        "qr",
        WEST_SOUTH,
    )
    assert props["assignee"] == {"kind": "grid", "grid_code": WEST_SOUTH}
    member, staff = bearer(secrets["member"]), bearer(secrets["staff"])
    assert act(client, event_id, member, action="accept").status_code == 200
    handled = act(client, event_id, member, action="handle", note="双方已和解", note_public=True)
    assert handled.status_code == 200
    assert act(client, event_id, staff, action="close", note="回访核实").status_code == 200
    wrong_key = act(client, event_id, {"X-Reporter-Key": "rk_guess"}, action="evaluate", rating=5)
    assert wrong_key.status_code == 403
    rated = act(client, event_id, {"X-Reporter-Key": key}, action="evaluate", rating=5)
    assert rated.status_code == 200, rated.text
    assert rated.json()["transition"]["to_status"] == "evaluated"
    public = client.get(f"{EVENTS}/{props['tracking_number']}").json()["properties"]
    assert [h["action"] for h in public["history"]] == [
        "report",
        "file",
        "dispatch",
        "accept",
        "handle",
        "close",
        "evaluate",
    ]
    assert [h["role"] for h in public["history"]][3:] == [
        "grid_member",
        "grid_member",
        "staff",
        "reporter",
    ]
    assert public["history"][4]["note"] == "双方已和解" and public["rating"] == 5
    assert all("actor" not in h for h in public["history"])  # names only for staff
    assert public["allowed_actions"] == ["rework"]


def test_a_grid_member_settles_on_the_spot(api):
    client, secrets, _url = api
    event_id = client.post(EVENTS, json=feature("0802", IN_WEST_NORTH)).json()["id"]
    # 0802 电梯违规充电 goes to the grid, but WEST_NORTH is not this member's grid
    refused = act(client, event_id, bearer(secrets["member"]), action="settle")
    assert refused.status_code == 403 and "own grid" in refused.json()["description"]
    mine = client.post(
        EVENTS,
        json=feature("0802", IN_WEST_SOUTH, source="grid_member"),
        headers=bearer(secrets["member"]),
    ).json()
    assert mine["properties"]["source"] == "grid_member"
    settled = act(client, mine["id"], bearer(secrets["member"]), action="settle", note="已劝导")
    assert settled.status_code == 200
    assert settled.json()["event"]["properties"]["status"] == "closed"


def test_transitions_need_credentials_and_a_legal_step(api):
    client, secrets, _url = api
    event_id = client.post(EVENTS, json=feature("0902", IN_EAST)).json()["id"]
    before = client.get(f"{EVENTS}/{event_id}").json()
    assert act(client, event_id, {}, action="accept").status_code == 401
    assert act(client, event_id, bearer("om_unknown"), action="accept").status_code == 401
    assert act(client, event_id, bearer(secrets["auditor"]), action="accept").status_code == 403
    assert act(client, event_id, bearer(secrets["foreign"]), action="accept").status_code == 403
    illegal = act(client, event_id, bearer(secrets["staff"]), action="close")
    assert illegal.status_code == 409
    assert illegal.json()["allowed_actions"] == ["accept", "return", "merge", "not_responsible"]
    extra = act(client, event_id, bearer(secrets["staff"]), action="accept", colour="red")
    assert extra.status_code == 422
    assert (
        client.post(
            f"{EVENTS}/999999/transitions",
            json={"action": "accept"},
            headers=bearer(secrets["staff"]),
        ).status_code
        == 404
    )
    assert client.get(f"{EVENTS}/{event_id}").json() == before


def test_a_repeated_idempotency_key_creates_nothing(api):
    client, _secrets, url = api
    body = feature("0103", IN_FAR, reporter_phone="13700000001")
    before = event_count(url)
    first = client.post(EVENTS, json=body, headers={"Idempotency-Key": "a1b2c3"})
    # the same report spelt differently (key order) is the same request
    respelt = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=False)
    second = client.post(
        EVENTS,
        content=respelt.encode(),
        headers={"Idempotency-Key": "a1b2c3", "Content-Type": "application/geo+json"},
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # the reporter key is derived, never stored: not in the kept answer, only its hash
    key = first.json()["reporter_key"]
    with psycopg.connect(url) as conn:
        kept = conn.execute(
            "SELECT response::text, e.reporter_key_sha256, event_reporter_key(e.event_id, NULL)"
            " FROM idempotency_keys JOIN events AS e USING (event_id)"
            " WHERE idempotency_key = 'a1b2c3'"
        ).fetchone()
    assert key not in kept[0] and kept[1] == hashlib.sha256(key.encode()).hexdigest()
    assert kept[2] == key  # this instance's own secret (ONEMAP_SECRET_KEY unset)
    after = event_count(url)
    assert (after[0] - before[0], after[2] - before[2]) == (1, 1)
    # another phone that picked the same key gets its own event, not the first's answer
    other = client.post(EVENTS, json=feature("0104", IN_FAR), headers={"Idempotency-Key": "a1b2c3"})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert other.json()["reporter_key"] != first.json()["reporter_key"]
    # a token's holder reusing a key for another report is refused
    staff = {"Authorization": f"Bearer {_secrets['staff']}", "Idempotency-Key": "s1"}
    assert (
        client.post(EVENTS, json=feature("0104", IN_FAR, source="video"), headers=staff).status_code
        == 201
    )
    reused = client.post(EVENTS, json=feature("0103", IN_FAR, source="video"), headers=staff)
    assert reused.status_code == 422 and "already used" in reused.json()["description"]
    bad_key = client.post(EVENTS, json=body, headers={"Idempotency-Key": "with space"})
    assert bad_key.status_code == 422
    # a failed first attempt stores no key: the corrected retry with the same key works
    failed = client.post(EVENTS, json=feature("0103", OUTSIDE), headers={"Idempotency-Key": "k2"})
    assert failed.status_code == 422
    fixed = client.post(EVENTS, json=feature("0103", IN_EAST), headers={"Idempotency-Key": "k2"})
    assert fixed.status_code == 201
    assert event_count(url)[0] == before[0] + 4


def test_every_bad_input_gets_its_status_and_stores_nothing(api):
    client, _secrets, url = api
    before = event_count(url)
    jpeg = photo_bytes("JPEG", gps=IN_EAST)

    def multipart(*photos: tuple[str, bytes, str], body=None):
        files = [("feature", (None, json.dumps(body or feature("0101", IN_EAST)), None))]
        files += [("photo", photo) for photo in photos]
        return client.post(EVENTS, files=files)

    cases = [
        (client.post(EVENTS, json=feature("0101", OUTSIDE)), 422, "outside the district"),
        (client.post(EVENTS, json=feature("9999", IN_EAST)), 422, "0901 电梯故障"),
        (
            client.post(
                EVENTS,
                content=b'{"type": "Feature",',
                headers={"Content-Type": "application/geo+json"},
            ),
            422,
            "malformed JSON",
        ),
        (client.post(EVENTS, json={"type": "FeatureCollection"}), 422, "GeoJSON Feature"),
        (client.post(EVENTS, json=feature("0101", None)), 422, "no location"),
        (client.post(EVENTS, json=feature("0101", IN_EAST, phone="1")), 422, "unknown phone"),
        (client.post(EVENTS, json=feature("0101", IN_EAST, description="")), 422, "required"),
        (
            client.post(
                EVENTS, json={**feature("0101"), "geometry": {"type": "Polygon", "coordinates": []}}
            ),
            422,
            "Point",
        ),
        (
            client.post(
                EVENTS,
                content=b"category=0101",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            415,
            "multipart",
        ),
        (client.post(EVENTS, json=feature("0101", IN_EAST, source="video")), 403, "source"),
        (multipart(("a.txt", b"hello", "text/plain")), 415, "not a JPEG or PNG"),
        (multipart(("big.jpg", jpeg + b"\0" * (5 * 2**20), "image/jpeg")), 413, "5 MiB"),
        (multipart(*[("p.jpg", jpeg, "image/jpeg")] * 4), 422, "at most 3"),
        (
            multipart(
                ("far.jpg", photo_bytes("JPEG", gps=OUTSIDE), "image/jpeg"),
                body=feature("0101", None),
            ),
            422,
            "photo 'far.jpg'",
        ),
        (client.post(EVENTS, files=[("feature", (None, "{oops", None))]), 422, "malformed JSON"),
        (client.post(EVENTS, files=[("photo", ("p.jpg", jpeg, "image/jpeg"))]), 422, "feature"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, (message, response.text)
        assert message in response.json()["description"], response.text
    unknown = cases[1][0].json()
    assert {"code": "0901", "name": "电梯故障"} in unknown["valid_categories"]
    assert event_count(url) == before


def test_photo_gps_places_a_report_and_photos_are_for_staff(api):
    client, secrets, _url = api
    picture = photo_bytes("JPEG", gps=IN_EAST)
    sketch = photo_bytes("PNG")
    created = client.post(
        EVENTS,
        files=[
            ("feature", (None, json.dumps(feature("0201", None)), None)),
            ("photo", ("scene.jpg", picture, "image/jpeg")),
            ("photo", ("sketch.png", sketch, "image/png")),
        ],
    )
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert (props["location_source"], props["grid_code"], props["photos"]) == (
        "photo",
        EAST_GRID,
        2,
    )
    event_id = created.json()["id"]
    # the photo's position places the report; the public, the reporter included, sees
    # only its 50 m cell, staff the position itself
    public = created.json()["geometry"]["coordinates"]
    assert public != pytest.approx(list(IN_EAST), abs=1e-6)
    assert public == pytest.approx(list(IN_EAST), abs=0.0005)
    staff_view = client.get(f"{EVENTS}/{event_id}", headers=bearer(secrets["staff"])).json()
    assert staff_view["geometry"]["coordinates"] == pytest.approx(list(IN_EAST), abs=1e-6)
    first = client.get(f"{EVENTS}/{event_id}/photos/1", headers=bearer(secrets["staff"]))
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.content == picture
    second = client.get(f"{EVENTS}/{event_id}/photos/2", headers=bearer(secrets["east_member"]))
    assert second.content == sketch
    assert client.get(f"{EVENTS}/{event_id}/photos/1").status_code == 401
    denied = client.get(f"{EVENTS}/{event_id}/photos/1", headers=bearer(secrets["member"]))
    assert denied.status_code == 403
    assert (
        client.get(f"{EVENTS}/{event_id}/photos/3", headers=bearer(secrets["staff"])).status_code
        == 404
    )
    # a point, when given, wins over the photo's position
    pointed = client.post(
        EVENTS,
        files=[
            ("feature", (None, json.dumps(feature("0202", IN_FAR)), None)),
            ("photo", ("scene.jpg", picture, "image/jpeg")),
        ],
    )
    assert pointed.json()["properties"]["location_source"] == "point"


def test_personal_data_never_appears_in_public_output(api):
    client, secrets, _url = api
    name, phone, address = "王秘密", "13999990000", "东葛社区幸福小区5栋2单元301"
    created = client.post(
        EVENTS,
        json=feature(
            "0901",
            IN_EAST,
            source="hotline_12345",
            reporter_name=name,
            reporter_phone=phone,
            address=address,
        ),
        headers=bearer(secrets["staff"]),
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    secrets_in = lambda text: [s for s in (name, phone, address) if s in text]  # noqa: E731
    assert secrets_in(created.text) == []  # the answer is kept with the Idempotency-Key
    public = [
        client.get("/ogc/collections/events/items", params={"limit": 1000}),
        client.get(f"/ogc/collections/events/items/{event_id}"),
        client.get(EVENTS, params={"limit": 1000}),
        client.get(f"{EVENTS}/{event_id}"),
        client.get(f"{EVENTS}/{event_id}", headers=bearer(secrets["auditor"])),
        client.get(f"{EVENTS}/{event_id}", headers=bearer(secrets["member"])),  # other grid
        client.get(f"{EVENTS}/{event_id}", headers=bearer(secrets["foreign"])),
    ]
    for response in public:
        assert response.status_code == 200, response.text
        assert secrets_in(response.text) == [], response.request.url
    assert event_id in [f["id"] for f in public[0].json()["features"]]  # the event is there
    for who in ("staff", "east_member", "admin"):
        private = client.get(f"{EVENTS}/{event_id}", headers=bearer(secrets[who])).json()
        props = private["properties"]
        assert (props["reporter_name"], props["reporter_phone"], props["address"]) == (
            name,
            phone,
            address,
        ), who
    # nothing in the OGC registry can reach the personal columns
    for prop in COLLECTIONS["events"].properties:
        assert not any(word in prop.sql for word in ("reporter", "address")), prop.name


def test_listing_filters_and_pages(api):
    client, _secrets, _url = api
    everything = client.get(EVENTS, params={"limit": 1000}).json()
    total = everything["numberMatched"]
    assert total == len(everything["features"]) > 5
    page = client.get(EVENTS, params={"limit": 2, "offset": 1}).json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in everything["features"][1:3]]
    assert {link["rel"] for link in page["links"]} == {"self", "next", "prev"}
    class_07 = client.get(EVENTS, params={"category": "07"}).json()
    assert class_07["numberMatched"] >= 1
    assert all(f["properties"]["class_code"] == "07" for f in class_07["features"])
    in_grid = client.get(EVENTS, params={"grid_code": EAST_GRID, "status": "dispatched,filed"})
    assert all(f["properties"]["grid_code"] == EAST_GRID for f in in_grid.json()["features"])
    box = client.get(EVENTS, params={"bbox": "108.34,22.80,108.38,22.84"}).json()
    assert box["numberMatched"] >= 1
    assert all(f["properties"]["community_code"].startswith("450105002") for f in box["features"])
    assert client.get(EVENTS, params={"overdue": "true"}).json()["numberMatched"] == 0
    for params in (
        {"status": "lost"},
        {"limit": "0"},
        {"bbox": "1,2,3"},
        {"colour": "red"},
        {"reported_after": "yesterday"},
    ):
        assert client.get(EVENTS, params=params).status_code == 400, params


def test_what_forms_need(api):
    client, _secrets, _url = api
    categories = client.get("/api/v1/event-categories").json()["categories"]
    assert len(categories) == 36 and categories[0]["code"] == "01"
    table = client.get("/api/v1/event-transitions").json()
    assert {t["action"] for t in table["transitions"]} >= {"file", "dispatch", "evaluate"}
    assert table["statuses"]["closed"].startswith("核查结案")


def test_the_departments_a_dispatch_may_name(api):
    client, _secrets, url = api
    with psycopg.connect(url) as conn:
        expected = conn.execute(
            "SELECT county_code, department_code, name, name_en FROM departments"
            " ORDER BY county_code, department_code"
        ).fetchall()
    assert expected
    listed = client.get("/api/v1/departments").json()["departments"]
    assert [(d["county_code"], d["code"], d["name"], d["name_en"]) for d in listed] == expected
    county = expected[0][0]
    of_county = client.get("/api/v1/departments", params={"county": county}).json()
    assert [d["code"] for d in of_county["departments"]] == [
        code for c, code, _n, _e in expected if c == county
    ]
    assert client.get("/api/v1/departments", params={"county": "999999"}).json() == {
        "departments": []
    }
    for params in ({"county": "4501"}, {"county": "45010x"}, {"colour": "red"}):
        answer = client.get("/api/v1/departments", params=params)
        assert answer.status_code == 400, params
        assert next(iter(params)) in answer.json()["detail"]


def test_with_a_server_secret_nothing_in_the_database_yields_a_reporter_key(api):
    _client, _secrets, url = api
    settings = Settings(
        database_url=url, secret_key="s3cret " * 6, pool_min_size=1, pool_max_size=2
    )
    body = feature("0103", IN_FAR, description="服务器密钥")
    with TestClient(create_app(settings)) as client:
        first = client.post(EVENTS, json=body, headers={"Idempotency-Key": "secret-1"})
        again = client.post(EVENTS, json=body, headers={"Idempotency-Key": "secret-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    key = first.json()["reporter_key"]
    assert again.json()["reporter_key"] == key  # derived again for the replay
    with psycopg.connect(url) as conn:
        stored, instance_key = conn.execute(
            "SELECT reporter_key_sha256, event_reporter_key(event_id, NULL) FROM events"
            " WHERE event_id = %s",
            (first.json()["id"],),
        ).fetchone()
    assert stored == hashlib.sha256(key.encode()).hexdigest() and instance_key != key
