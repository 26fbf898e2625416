"""Who may do what, over HTTP: one table of role × endpoint × scope and the status each
combination must answer, run against the app as it connects to the database (as
onemap_service, under row-level security). The columns are the callers: the public
(no token), each role, and the same role outside its scope (a grid member of another
grid, the handler of another department, staff of another county)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from gis import tokens
from tests.planters.event_places import WEST, WEST_SOUTH, plant_event, planted_database
from tests.planters.patrols import fixes_along, gpx_of, plant_team

EVENTS = "/api/v1/events"
CALLERS = (
    "public",
    "admin",
    "staff",
    "foreign",
    "handler",
    "other_handler",
    "member",
    "east_member",
    "auditor",
    "planner",
    "open311",
    "team",
    "other_team",
)
# what a JPEG's first bytes look like is enough: the route serves the stored bytes
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 60


@pytest.fixture(scope="module")
def planted(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    with planted_database(admin_url, migrated_template, "roles_http") as (url, secrets):
        with psycopg.connect(url) as conn:
            # two patrol teams, each with its phone's token
            for code, caller in (("walkers", "team"), ("riders", "other_team")):
                plant_team(conn, code, grids=[WEST_SOUTH])
                secrets[caller] = tokens.create(conn, name=code, role="team", team=code)
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=4))
        headers = {name: {"Authorization": f"Bearer {secret}"} for name, secret in secrets.items()}
        headers["public"] = {}
        with TestClient(app) as client:
            yield {"url": url, "client": client, "headers": headers}


def _event(url: str, **setup: Any) -> int:
    """A fresh event for one case, with the reporter's contact and, if asked, a photo."""
    photo = setup.pop("photo", False)
    event_id = plant_event(url, reporter_phone="13912345678", **setup)
    if photo:
        with psycopg.connect(url) as conn:
            conn.execute(
                "INSERT INTO event_photos (event_id, position, county_code, content_type,"
                " bytes, sha256, width, height, content)"
                " VALUES (%s, 1, '450105', 'image/jpeg', %s, repeat('0', 64), 1, 1, %s)",
                (event_id, len(PHOTO), PHOTO),
            )
    return event_id


def _transition(action: str) -> Callable[[TestClient, int, dict], Any]:
    return lambda client, event_id, headers: client.post(
        f"{EVENTS}/{event_id}/transitions", json={"action": action}, headers=headers
    )


def _read_contact(client: TestClient, event_id: int, headers: dict) -> Any:
    answer = client.get(f"{EVENTS}/{event_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    # 200 with the reporter's contact, 203 standing for "200, the public view only"
    return 200 if "reporter_phone" in answer.json()["properties"] else 203


ENDPOINTS: dict[str, tuple[Callable[[TestClient, int, dict], Any], dict[str, Any]]] = {
    "read an event's contact": (_read_contact, {}),
    "file a report": (_transition("file"), {"status": "reported"}),
    "accept the grid's task": (_transition("accept"), {"status": "dispatched", "assignee": "grid"}),
    "accept a department's task": (
        _transition("accept"),
        {"status": "dispatched", "assignee": "department"},
    ),
    "settle a report in the grid": (_transition("settle"), {"status": "reported"}),
    "settle a department's task": (
        _transition("settle"),
        {"status": "dispatched", "assignee": "department"},
    ),
    "see a photo": (
        lambda client, event_id, headers: client.get(
            f"{EVENTS}/{event_id}/photos/1", headers=headers
        ),
        {"photo": True, "status": "dispatched", "assignee": "department"},
    ),
    "hide an event": (
        lambda client, event_id, headers: client.post(
            f"{EVENTS}/{event_id}/moderation",
            json={"hidden": True, "reason": "骚扰信息"},
            headers=headers,
        ),
        {},
    ),
    "read the admin log": (
        lambda client, event_id, headers: client.get("/api/v1/admin-log", headers=headers),
        {},
    ),
    "audit a community's grids": (
        lambda client, event_id, headers: client.get(
            "/api/v1/audit/grids", params={"community": WEST}, headers=headers
        ),
        {},
    ),
    "read patrol coverage": (
        lambda client, event_id, headers: client.get(
            "/api/v1/patrols/coverage", params={"scope": WEST}, headers=headers
        ),
        {},
    ),
    "list grids nobody patrols": (
        lambda client, event_id, headers: client.get(
            "/api/v1/patrols/stale", params={"scope": WEST, "days": "7"}, headers=headers
        ),
        {},
    ),
    "find blind spots": (
        lambda client, event_id, headers: client.get(
            "/api/v1/patrols/blind-spots", params={"scope": WEST, "days": "3"}, headers=headers
        ),
        {},
    ),
    "import places": (
        # a file that is not GeoJSON: an administrator gets as far as the file's check
        lambda client, event_id, headers: client.post(
            "/api/v1/import/grids",
            files={"file": ("grids.geojson", b"not json", "application/geo+json")},
            headers=headers,
        ),
        {},
    ),
    "upload patrol tracks": (
        lambda client, event_id, headers: client.post(
            "/api/v1/patrols/tracks",
            params={"team": "walkers"},
            content=gpx_of(fixes_along([(100.0, 100.0), (400.0, 100.0)])),
            headers={**headers, "Content-Type": "application/gpx+xml"},
        ),
        {},
    ),
}

# The table: for each endpoint, the status each caller gets, in the order of CALLERS:
# public, admin, staff, foreign staff, handler, other handler, member, east member,
# auditor, planner, open311, the walkers' team token, the riders' team token. (The
# planted events are in grid WEST_SOUTH, the member's; department tasks are chengguan's,
# the handler's. The member's token belongs to no person, so to no patrol team; staff of
# another county find no team "walkers" there.)
TABLE: dict[str, tuple[int, ...]] = {
    "read an event's contact": (203, 200, 200, 203, 203, 203, 200, 203, 203, 203, 203, 203, 203),
    "file a report": (401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "accept the grid's task": (401, 200, 200, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403),
    "accept a department's task": (401, 200, 200, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403),
    "settle a report in the grid": (
        401,
        403,
        403,
        403,
        403,
        403,
        200,
        403,
        403,
        403,
        403,
        403,
        403,
    ),
    "settle a department's task": (401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "see a photo": (401, 200, 200, 403, 200, 403, 200, 403, 200, 403, 403, 403, 403),
    "hide an event": (401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "read the admin log": (401, 200, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403),
    "audit a community's grids": (401, 200, 200, 403, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    "import places": (401, 422, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "read patrol coverage": (401, 200, 200, 403, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    "list grids nobody patrols": (401, 200, 200, 403, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    "find blind spots": (401, 200, 200, 403, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    "upload patrol tracks": (401, 201, 201, 404, 403, 403, 403, 403, 403, 403, 403, 201, 403),
}
CASES = [
    (endpoint, caller, status)
    for endpoint, statuses in TABLE.items()
    for caller, status in zip(CALLERS, statuses, strict=True)
]


def test_the_table_covers_every_endpoint_and_caller() -> None:
    assert set(TABLE) == set(ENDPOINTS)
    assert all(len(statuses) == len(CALLERS) for statuses in TABLE.values())


@pytest.mark.parametrize(
    ("endpoint", "caller", "status"), CASES, ids=[f"{e} as {c}" for e, c, _ in CASES]
)
def test_each_role_may_do_what_the_table_says_in_its_scope(
    planted: dict[str, Any], endpoint: str, caller: str, status: int
) -> None:
    call, setup = ENDPOINTS[endpoint]
    event_id = _event(planted["url"], **setup)
    with psycopg.connect(planted["url"]) as conn:
        before = conn.execute(
            "SELECT status, hidden_at FROM events WHERE event_id = %s", (event_id,)
        ).fetchone()
    answer = call(planted["client"], event_id, planted["headers"][caller])
    got = answer if isinstance(answer, int) else answer.status_code
    assert got == status, getattr(answer, "text", answer)
    with psycopg.connect(planted["url"]) as conn:
        after = conn.execute(
            "SELECT status, hidden_at FROM events WHERE event_id = %s", (event_id,)
        ).fetchone()
    # a refusal changes nothing
    if status >= 400:
        assert after == before


def test_one_analysis_at_a_time_per_caller_across_processes(planted: dict[str, Any]) -> None:
    client, url = planted["client"], planted["url"]
    audit = {"path": "/api/v1/audit/grids", "params": {"community": WEST}}
    with psycopg.connect(url, autocommit=True) as other_process:
        (token_id,) = other_process.execute(
            "SELECT token_id FROM api_tokens WHERE name = 'test auditor'"
        ).fetchone()
        # another server process running this auditor's analysis holds its lock
        key = f"onemap analysis token:{token_id}"
        other_process.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        busy = client.get(
            audit["path"], params=audit["params"], headers=planted["headers"]["auditor"]
        )
        assert busy.status_code == 429 and busy.headers["retry-after"] == "5"
        # someone else's analysis is not held up
        other = client.get(
            audit["path"], params=audit["params"], headers=planted["headers"]["planner"]
        )
        assert other.status_code == 200
        other_process.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))
    done = client.get(audit["path"], params=audit["params"], headers=planted["headers"]["auditor"])
    assert done.status_code == 200
