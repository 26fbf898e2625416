"""Open311 GeoReport v2: every answer validated against the published JSON schemas
(loaded from the shared folder beside the repository), the loop seen as open/closed with
notes, the filters, errors in the spec's format with nothing stored, and personal data
never in public output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from app.main import create_app
from app.settings import Settings
from tests.planters.event_places import (
    IN_EAST,
    IN_FAR,
    IN_WEST_NORTH,
    IN_WEST_SOUTH,
    OUTSIDE,
    T0,
    plant_event,
    planted_database,
)

V2 = "/open311/v2"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
SCHEMAS = SHARED / "validators" / "open311-schema" / "schema" / "georeport-v2"
CHICAGO = SHARED / "events" / "chicago_open311_georeport_v2_requests.json"
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def _load(name: str) -> Any:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.fail(f"the Open311 schemas are missing: {path} (the shared folder beside the repo)")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def schemas() -> dict[str, Draft7Validator]:
    names = ("request", "requests", "service", "services", "service-definition")
    contents = {name: _load(f"{name}.json") for name in names}
    registry: Registry = Registry().with_resources(
        (f"{name}.json", Resource.from_contents(schema, default_specification=DRAFT7))
        for name, schema in contents.items()
    )
    definitions = _load("swagger.json")["definitions"]
    checker = FormatChecker()
    validators = {
        name: Draft7Validator(schema, registry=registry, format_checker=checker)
        for name, schema in contents.items()
    }
    # POST and tokens answer lists of the swagger file's RequestResponse/TokenResponse.
    for name in ("RequestResponse", "TokenResponse"):
        schema = {"type": "array", "minItems": 1, "items": definitions[name]}
        validators[name] = Draft7Validator(schema, format_checker=checker)
    validators["errors"] = Draft7Validator(ERRORS)
    return validators


def valid(validators: dict[str, Draft7Validator], name: str, document: Any) -> Any:
    errors = [e.message for e in validators[name].iter_errors(document)]
    assert not errors, f"{name}: {errors[:5]}"
    return document


@pytest.fixture(scope="module")
def api(admin_url: str, migrated_template: str) -> Iterator[tuple[TestClient, dict, str]]:
    with planted_database(admin_url, migrated_template, "open311") as (url, secrets):
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=4))
        with TestClient(app) as client:
            yield client, secrets, url


def form(secret: str | None, service_code: str, point=IN_WEST_SOUTH, **fields: str) -> dict:
    data = {"service_code": service_code, "description": "Open311 测试", **fields}
    if secret is not None:
        data["api_key"] = secret
    if point is not None:
        data["long"], data["lat"] = str(point[0]), str(point[1])
    return data


def event_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM events").fetchone()
        assert row is not None
        return int(row[0])


def failed(validators, response, status: int, *named: str) -> str:
    assert response.status_code == status, response.text
    body = valid(validators, "errors", response.json())
    assert body[0]["code"] == status
    for name in named:
        assert name in body[0]["description"], body
    return str(body[0]["description"])


def test_every_endpoint_answers_valid_open311(api, schemas):
    client, secrets, url = api
    with psycopg.connect(url) as conn:
        subclasses = [
            r[0]
            for r in conn.execute(
                "SELECT category_code FROM event_categories WHERE parent_code IS NOT NULL"
                " ORDER BY category_code"
            )
        ]
    services = valid(schemas, "services", client.get(f"{V2}/services.json").json())
    assert client.get(f"{V2}/services").json() == services
    codes = [s["service_code"] for s in services]
    assert codes == subclasses and len(codes) == 26, codes
    for service in services:
        valid(schemas, "service", service)
    lift = next(s for s in services if s["service_code"] == "0901")
    assert (lift["metadata"], lift["type"], lift["group"]) == (True, "realtime", "物业管理")
    definition = valid(schemas, "service-definition", client.get(f"{V2}/services/0901.json").json())
    assert definition["attributes"][0]["code"] == "trapped"
    assert definition["attributes"][0]["required"] is True
    plain = valid(schemas, "service-definition", client.get(f"{V2}/services/0101.json").json())
    assert plain == {"service_code": "0101", "attributes": []}

    created = client.post(f"{V2}/requests.json", data=form(secrets["open311"], "0101"))
    assert created.status_code == 200, created.text
    answer = valid(schemas, "RequestResponse", created.json())
    tracking = answer[0]["service_request_id"]
    assert tracking.startswith("SJ") and answer[0]["service_notice"]
    one = valid(schemas, "requests", client.get(f"{V2}/requests/{tracking}.json").json())
    assert len(one) == 1 and one[0]["service_request_id"] == tracking
    assert [note["type"] for note in one[0]["notes"]][:2] == ["report", "file"]
    listed = valid(schemas, "requests", client.get(f"{V2}/requests.json").json())
    assert tracking in [r["service_request_id"] for r in listed]
    token = valid(schemas, "TokenResponse", client.get(f"{V2}/tokens/{tracking}.json").json())
    assert token == [{"service_request_id": tracking, "token": tracking}]
    failed(schemas, client.get(f"{V2}/tokens/SJ99999999999.json"), 404, "SJ99999999999")


def test_a_request_is_open_then_closed_with_the_notes_of_its_history(api, schemas):
    client, secrets, _url = api
    created = client.post(f"{V2}/requests.json", data=form(secrets["open311"], "0701"))
    tracking = created.json()[0]["service_request_id"]
    assert "grid" in created.json()[0]["service_notice"]  # disputes go to the grid
    found = client.get(f"{V2}/requests.json", params={"service_request_id": tracking}).json()
    assert [(r["status"], r["service_code"]) for r in found] == [("open", "0701")]
    assert found[0]["status_notes"].startswith("任务派遣 dispatched")
    staff = {"Authorization": f"Bearer {secrets['staff']}"}
    for action, note in (("accept", ""), ("handle", "已调解 mediated"), ("close", "回访满意")):
        step = client.post(
            f"/api/v1/events/{tracking}/transitions",
            json={"action": action, "note": note, "note_public": True},
            headers=staff,
        )
        assert step.status_code == 200, step.text
    request = valid(schemas, "requests", client.get(f"{V2}/requests/{tracking}").json())[0]
    assert request["status"] == "closed"
    assert request["status_notes"] == "核查结案 closed: 回访满意"
    described = [(n["type"], n.get("description")) for n in request["notes"]]
    assert ("handle", "已调解 mediated") in described and ("close", "回访满意") in described
    assert request["updated_datetime"] >= request["requested_datetime"]
    closed = client.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert tracking in [r["service_request_id"] for r in closed]
    still_open = client.get(f"{V2}/requests.json", params={"status": "open"}).json()
    assert tracking not in [r["service_request_id"] for r in still_open]


def test_the_filters(api, schemas):
    client, _secrets, _url = api
    ids = {
        "rubbish": plant_event(_url, category="0101", reported_at=T0),
        "parking": plant_event(
            _url, category="0402", status="closed", point=IN_EAST, reported_at=T0 + timedelta(1)
        ),
        "later": plant_event(
            _url, category="0101", status="handled", reported_at=T0 + timedelta(5)
        ),
    }
    with psycopg.connect(_url) as conn:
        numbers = dict(
            conn.execute(
                "SELECT event_id, tracking_number FROM events WHERE event_id = ANY(%s)",
                (list(ids.values()),),
            ).fetchall()
        )
    tracking = {name: numbers[event_id] for name, event_id in ids.items()}

    def search(**params: str) -> list[str]:
        answer = client.get(f"{V2}/requests.json", params=params)
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in valid(schemas, "requests", answer.json())]

    window = {"start_date": "2026-05-31T00:00:00+08:00", "end_date": "2026-06-30T00:00:00+08:00"}
    assert search(**window) == [tracking["later"], tracking["parking"], tracking["rubbish"]]
    assert search(**window, service_code="0101") == [tracking["later"], tracking["rubbish"]]
    assert search(**window, service_code="0101,0402", status="closed") == [tracking["parking"]]
    assert search(**window, status="open") == [tracking["later"], tracking["rubbish"]]
    # end_date is included; without an offset a date-time is China time
    assert search(start_date="2026-06-01T09:00:00", end_date="2026-06-02T09:00:00") == [
        tracking["parking"],
        tracking["rubbish"],
    ]
    # start_date alone: the 90 days after it
    assert tracking["rubbish"] in search(start_date="2026-05-01T00:00:00Z")
    # the ids override every other filter; unknown ids match nothing
    ids_only = search(
        service_request_id=f"{tracking['parking']},SJ99999999999", service_code="0101"
    )
    assert ids_only == [tracking["parking"]]
    too_long = client.get(
        f"{V2}/requests.json", params={"start_date": "2026-01-01", "end_date": "2026-06-01"}
    )
    failed(schemas, too_long, 400, "end_date", "90 days")
    backwards = client.get(
        f"{V2}/requests.json", params={"start_date": "2026-06-02", "end_date": "2026-06-01"}
    )
    failed(schemas, backwards, 400, "end_date")
    failed(schemas, client.get(f"{V2}/requests.json?status=pending"), 400, "status")
    failed(schemas, client.get(f"{V2}/requests.json?start_date=yesterday"), 400, "start_date")
    failed(schemas, client.get(f"{V2}/requests.json?service_code=9999"), 400, "9999", "0101")
    failed(schemas, client.get(f"{V2}/requests.json?colour=red"), 400, "colour")
    assert search(**window, jurisdiction_id="450105")
    failed(schemas, client.get(f"{V2}/requests.json?jurisdiction_id=999999"), 404, "999999")


def test_a_missing_or_wrong_api_key_is_refused_and_stores_nothing(api, schemas):
    client, secrets, url = api
    before = event_count(url)
    failed(schemas, client.post(f"{V2}/requests.json", data=form(None, "0101")), 401, "api_key")
    failed(
        schemas, client.post(f"{V2}/requests.json", data=form("om_nope", "0101")), 403, "api_key"
    )
    for role in ("auditor", "member"):
        refused = client.post(f"{V2}/requests.json", data=form(secrets[role], "0101"))
        failed(schemas, refused, 403, "api_key")
    # a key in the URL would be written to logs: refused, even a good one
    in_url = client.post(
        f"{V2}/requests.json?api_key={secrets['staff']}", data=form(None, "0101", IN_FAR)
    )
    failed(schemas, in_url, 400, "not in the URL")
    # staff and admin tokens may report through Open311 too
    for role in ("staff", "admin"):
        taken = client.post(f"{V2}/requests.json", data=form(secrets[role], "0101", IN_FAR))
        assert taken.status_code == 200, taken.text
    assert event_count(url) == before + 2


def test_bad_requests_are_refused_in_open311_format(api, schemas):
    client, secrets, url = api
    key = secrets["open311"]
    before = event_count(url)
    unknown = client.post(f"{V2}/requests.json", data=form(key, "9999"))
    failed(schemas, unknown, 400, "service_code", "'9999'", "0101 暴露垃圾")
    outside = client.post(f"{V2}/requests.json", data=form(key, "0101", OUTSIDE))
    failed(schemas, outside, 400, "outside the district")
    cases = [
        (form(key, "0101", None), "a location is required"),
        ({**form(key, "0101"), "lat": "north"}, "must be numbers"),
        ({**form(key, "0101"), "description": " "}, "description"),
        ({**form(key, "0101"), "colour": "red"}, "colour"),
        (form(key, "0901"), "attribute[trapped]"),  # required attribute missing
        (form(key, "0901", **{"attribute[trapped]": "maybe"}), "'maybe'"),
        (form(key, "0101", **{"attribute[size]": "large"}), "has no such attribute"),
        (form(key, "0803", **{"attribute[floor]": "high"}), "expected a number"),
        (form(key, "0101", media_url="file:///etc/passwd"), "media_url"),
        (form(key, "0101", email="not-an-email"), "email"),
        (form(key, "0101", address_id="42"), "address_id"),
    ]
    for data, named in cases:
        failed(schemas, client.post(f"{V2}/requests.json", data=data), 400, named)
    query = client.post(f"{V2}/requests.json?colour=red", data=form(key, "0101"))
    failed(schemas, query, 400, "colour")
    as_json = client.post(f"{V2}/requests.json", json=form(key, "0101"))
    failed(schemas, as_json, 415, "x-www-form-urlencoded")
    failed(schemas, client.get(f"{V2}/services/9999.json"), 404, "9999")
    failed(schemas, client.get(f"{V2}/requests/SJ99999999999.json"), 404, "SJ99999999999")
    failed(schemas, client.get(f"{V2}/requests/42.json"), 404, "tracking numbers")
    failed(schemas, client.get(f"{V2}/nothing-here.json"), 404, "nothing-here")
    assert event_count(url) == before


def test_xml_is_refused_json_only(api, schemas):
    client, secrets, url = api
    before = event_count(url)
    for path in ("services.xml", "services/0101.xml", "requests.xml", "requests/SJ1.xml"):
        failed(schemas, client.get(f"{V2}/{path}"), 400, "JSON only")
    xml_post = client.post(f"{V2}/requests.xml", data=form(secrets["open311"], "0101"))
    failed(schemas, xml_post, 400, "JSON only")
    assert event_count(url) == before


def test_attributes_media_and_personal_data(api, schemas):
    client, secrets, url = api
    personal = {
        "first_name": "张",
        "last_name": "三丰",
        "email": "zhang.sanfeng@example.cn",
        "phone": "138 0000 1234",
    }
    data = form(
        secrets["open311"],
        "0901",
        IN_WEST_NORTH,
        media_url="https://img.example.cn/lift.jpg",
        **{"attribute[trapped]": "yes"},
        **personal,
    )
    created = client.post(f"{V2}/requests.json", data=data)
    assert created.status_code == 200, created.text
    tracking = created.json()[0]["service_request_id"]
    by_address = client.post(
        f"{V2}/requests.json",
        data=form(secrets["open311"], "0101", None, address_string="幸福小区", **personal),
    )
    assert by_address.status_code == 200, by_address.text
    other = by_address.json()[0]["service_request_id"]
    request = client.get(f"{V2}/requests/{tracking}.json").json()[0]
    assert request["media_url"] == "https://img.example.cn/lift.jpg"
    assert "是 yes" in request["description"] and "[media_url]" not in request["description"]
    public = [
        client.get(f"{V2}/requests.json").text,
        client.get(f"{V2}/requests/{tracking}.json").text,
        client.get(f"{V2}/requests/{other}.json").text,
        client.get(f"{V2}/requests.json", params={"service_request_id": other}).text,
        client.get(f"{V2}/tokens/{tracking}.json").text,
        created.text,
        by_address.text,
    ]
    for text in public:
        for value in (*personal.values(), "幸福小区", "三丰"):
            assert value not in text, (value, text[:300])
    with psycopg.connect(url) as conn:
        stored = conn.execute(
            "SELECT reporter_name, reporter_phone, address, source FROM events"
            " WHERE tracking_number = ANY(%s) ORDER BY event_id",
            ([tracking, other],),
        ).fetchall()
    assert stored == [
        ("张 三丰 <zhang.sanfeng@example.cn>", "138 0000 1234", None, "open311"),
        ("张 三丰 <zhang.sanfeng@example.cn>", "138 0000 1234", "幸福小区", "open311"),
    ]


def test_an_idempotency_key_makes_a_retry_safe(api, schemas):
    client, secrets, url = api
    before = event_count(url)
    data = form(secrets["open311"], "0102", IN_FAR)
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = client.post(f"{V2}/requests.json", data=data, headers=headers)
    again = client.post(f"{V2}/requests.json", data=data, headers=headers)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert event_count(url) == before + 1
    other = client.post(f"{V2}/requests.json", data={**data, "description": "x"}, headers=headers)
    failed(schemas, other, 422, "Idempotency-Key")


def test_real_chicago_requests_validate_against_the_same_schemas(schemas):
    if not CHICAGO.is_file():
        pytest.fail(f"the Chicago sample is missing: {CHICAGO}")
    requests = json.loads(CHICAGO.read_text())
    assert len(requests) == 50
    valid(schemas, "requests", requests)
    statuses = {r["status"] for r in requests}
    assert statuses <= {"open", "closed"}
    # the validator does reject what the schema forbids
    broken = {**requests[0], "status": "pending"}
    assert list(schemas["request"].iter_errors(broken))
    assert list(schemas["requests"].iter_errors([{**requests[0], "requested_datetime": "soon"}]))
