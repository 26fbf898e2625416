"""Patrol tracks over HTTP (POST /api/v1/patrols/tracks), against a real server on a
planted district: GPX and GeoJSON stored with what cleaning dropped, an Idempotency-Key
that makes retries safe (also five at once), every refusal naming the file, the track and
the problem with nothing stored, and who may upload for which team."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest

from app.commands.launch import served
from gis import tokens
from gis.people import directory
from tests.planters.event_places import WEST_SOUTH, planted_database
from tests.planters.patrols import START, fixes_along, geojson_of, gpx_of, plant_team
from tests.planters.walking import lonlat

TRACKS = "/api/v1/patrols/tracks"
GPX = "application/gpx+xml"
GEOJSON = "application/geo+json"
# along y = 100 m in the planted grid WEST_SOUTH, 1.2 m/s, a fix every 10 s
STREET = [(100.0, 100.0), (700.0, 100.0)]
TABLES = ("patrol_uploads", "patrol_sources", "patrol_tracks", "idempotency_keys")


@pytest.fixture(scope="module")
def planted(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    with planted_database(admin_url, migrated_template, "patrols_http") as (url, secrets):
        with psycopg.connect(url) as conn:
            walkers = plant_team(conn, "walkers", grids=[WEST_SOUTH])
            plant_team(conn, "riders", kind="couriers")
            plant_team(conn, "far-team", county="450103")
            li = directory.add(
                conn,
                login="li.na",
                name="李娜",
                role="grid_member",
                password="a long enough password",
                grids=(WEST_SOUTH,),
            )
            zhao = directory.add(
                conn,
                login="zhao.lei",
                name="赵磊",
                role="grid_member",
                password="a long enough password",
                grids=(WEST_SOUTH,),
            )
            conn.execute(
                "INSERT INTO patrol_team_members (team_id, county_code, person_id, name)"
                " VALUES (%s, '450105', %s, '李娜')",
                (walkers, li),
            )
            secrets["walkers"] = tokens.create(
                conn, name="walkers' phone", role="team", team="walkers"
            )
            secrets["riders"] = tokens.create(
                conn, name="riders' phone", role="team", team="riders"
            )
            secrets["li"] = tokens.create(
                conn, name="李娜", role="grid_member", person_id=li, grid_code=WEST_SOUTH
            )
            secrets["zhao"] = tokens.create(
                conn, name="赵磊", role="grid_member", person_id=zhao, grid_code=WEST_SOUTH
            )
        with served(url) as base:
            yield {"url": url, "base": base, "secrets": secrets, "walkers": walkers}


def _headers(planted: dict[str, Any], who: str | None, content_type: str = GPX, **more: str):
    headers = {"Content-Type": content_type, **more}
    if who is not None:
        headers["Authorization"] = f"Bearer {planted['secrets'][who]}"
    return headers


def _post(
    planted: dict[str, Any],
    body: bytes,
    who: str | None = "walkers",
    content_type: str = GPX,
    params: dict[str, str] | None = None,
    **headers: str,
) -> httpx.Response:
    return httpx.post(
        planted["base"] + TRACKS,
        content=body,
        params=params,
        headers=_headers(planted, who, content_type, **headers),
        timeout=60,
    )


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


def _walk(minutes_later: float = 0.0) -> list[tuple[float, float, float]]:
    """A walk along the street; each test walks at its own time, so that no two bodies
    are the same request."""
    return fixes_along(STREET, start=START + minutes_later * 60)


def test_a_gpx_file_is_stored_with_what_cleaning_dropped(planted):
    walk = _walk(1)
    walk[20] = (*lonlat(340, 400), walk[20][2])  # 300 m off the street for one fix
    answer = _post(
        planted,
        gpx_of(walk),
        **{"Content-Disposition": f"attachment; filename*=UTF-8''{quote('晚巡.gpx')}"},
    )
    assert answer.status_code == 201, answer.text
    assert "idempotent-replayed" not in answer.headers
    body = answer.json()
    (track,) = body["tracks"]
    assert body["team"] == "walkers"
    assert track["label"] == "trk[0] 巡逻 0 segment 0"
    assert track["raw_points"] == len(walk) and track["kept_points"] == len(walk) - 1
    assert track["dropped"] == {
        "outside": 0,
        "duplicate_time": 0,
        "backward_time": 0,
        "jump": 1,
        "speed": 0,
        "lone": 0,
    }
    assert track["pieces"] == 1 and len(track["track_ids"]) == 1
    with psycopg.connect(planted["url"]) as conn:
        row = conn.execute(
            "SELECT u.source, u.format, u.file_name, u.uploaded_by, u.token_id IS NOT NULL,"
            " t.points FROM patrol_uploads AS u JOIN patrol_tracks AS t USING (team_id)"
            " WHERE u.upload_id = %s AND t.track_id = %s",
            (body["upload_id"], track["track_ids"][0]),
        ).fetchone()
    assert row == ("api", "gpx", "晚巡.gpx", "walkers' phone", True, len(walk) - 1)


def test_a_geojson_file_from_a_member_of_the_team(planted):
    # a grid member in one team: team= may be left out
    answer = _post(planted, geojson_of(_walk(2), _walk(30)), who="li", content_type=GEOJSON)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["team"] == "walkers"
    assert [t["label"] for t in body["tracks"]] == ["features[0]", "features[1]"]
    assert all(t["kept_points"] == t["raw_points"] == len(_walk()) for t in body["tracks"])
    with psycopg.connect(planted["url"]) as conn:
        (person,) = conn.execute(
            "SELECT p.login FROM patrol_uploads AS u JOIN people AS p USING (person_id)"
            " WHERE u.upload_id = %s",
            (body["upload_id"],),
        ).fetchone()
    assert person == "li.na"


def test_a_repeated_key_answers_the_first_answer_even_in_the_other_format(planted):
    walk = _walk(3)
    first = _post(planted, gpx_of(walk), **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201, first.text
    before = _counts(planted["url"])
    # the same fixes as GeoJSON: the same request
    again = _post(planted, geojson_of(walk), content_type=GEOJSON, **{"Idempotency-Key": "retry-1"})
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _counts(planted["url"]) == before


def test_the_same_key_five_times_at_once_stores_one_upload(planted):
    body = gpx_of(_walk(4))

    async def five() -> list[httpx.Response]:
        # five connections: five requests in flight together
        async with httpx.AsyncClient(
            base_url=planted["base"], limits=httpx.Limits(max_connections=5), timeout=60
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        TRACKS,
                        content=body,
                        headers=_headers(planted, "walkers", **{"Idempotency-Key": "five-at-once"}),
                    )
                    for _ in range(5)
                )
            )

    before = _counts(planted["url"])
    answers = asyncio.run(five())
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == [""] + ["true"] * 4
    after = _counts(planted["url"])
    assert after["patrol_uploads"] == before["patrol_uploads"] + 1
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1


def test_the_same_key_with_another_file_is_refused(planted):
    first = _post(planted, gpx_of(_walk(5)), **{"Idempotency-Key": "used-once"})
    assert first.status_code == 201, first.text
    before = _counts(planted["url"])
    other = _post(planted, gpx_of(_walk(6)), **{"Idempotency-Key": "used-once"})
    assert other.status_code == 422, other.text
    assert other.json()["field"] == "Idempotency-Key"
    assert "different upload" in other.json()["description"]
    assert _counts(planted["url"]) == before


def _backwards() -> bytes:
    walk = _walk(7)
    return gpx_of([(lon, lat, walk[-1 - i][2]) for i, (lon, lat, _) in enumerate(walk)])


def _outside() -> bytes:
    # 20 km north of the origin: north of the planted district
    return gpx_of(fixes_along([(100.0, 20000.0), (700.0, 20000.0)], start=START + 8 * 60))


MiB = 1024 * 1024
# (case, body, content type, who, params, status, words the problem must hold)
REFUSALS = [
    ("malformed GPX", b"<gpx><trk><trkseg><trkpt", GPX, "walkers", None, 422, ["file", "not GPX"]),
    (
        "no times",
        b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        b'<trkpt lat="22.81" lon="108.31"/><trkpt lat="22.811" lon="108.31"/></trkseg></trk></gpx>',
        GPX,
        "walkers",
        None,
        422,
        ["trk[0] segment 0", "fix 0 has no time"],
    ),
    (
        "backwards throughout",
        _backwards(),
        GPX,
        "walkers",
        None,
        422,
        ["trk[0]", "times go backwards"],
    ),
    ("all outside", _outside(), GPX, "walkers", None, 422, ["trk[0]", "outside county 450105"]),
    (
        "a team of 450103 over 450105",
        gpx_of(fixes_along(STREET, start=START + 9 * 60)),
        GPX,
        "foreign",
        {"team": "far-team"},
        403,
        ["trk[0]", "team far-team serves 450103", "lies in 450105"],
    ),
    ("17 MiB", b"<gpx>" + b" " * (17 * MiB) + b"</gpx>", GPX, "walkers", None, 413, ["limit"]),
    ("a CSV", b"lon,lat,time\n", "text/csv", "walkers", None, 415, ["text/csv"]),
]


@pytest.mark.parametrize(
    ("case", "body", "content_type", "who", "params", "status", "words"),
    REFUSALS,
    ids=[r[0] for r in REFUSALS],
)
def test_each_refusal_names_file_track_and_problem_and_stores_nothing(
    planted, case, body, content_type, who, params, status, words
):
    before = _counts(planted["url"])
    answer = _post(planted, body, who=who, content_type=content_type, params=params)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    text = problem["description"] + " " + str(problem.get("problems", ""))
    assert all(word in text for word in words), problem
    if status in (403, 422):
        assert problem["file"] == "upload.gpx" and problem["written"] is False
    assert _counts(planted["url"]) == before


# (who, team=, status): who may upload for which team
CALLERS = [
    (None, None, 401),
    ("auditor", "walkers", 403),
    ("planner", "walkers", 403),
    ("handler", "walkers", 403),
    ("open311", "walkers", 403),
    ("riders", "walkers", 403),  # a team token of another team
    ("zhao", "walkers", 403),  # a grid member not in the team
    ("zhao", None, 403),  # … who is in no team at all
    ("member", "walkers", 403),  # a grid's token, of nobody: in no team
    ("admin", None, 400),  # administrators name the team
    ("staff", "nobody", 404),
    ("foreign", "walkers", 404),  # staff of another county: no such team there
    ("walkers", "walkers", 201),
    ("li", "walkers", 201),
    ("admin", "riders", 201),
    ("staff", "walkers", 201),
]


@pytest.mark.parametrize(
    ("who", "team", "status"), CALLERS, ids=[f"{c[0]} for {c[1]}" for c in CALLERS]
)
def test_who_may_upload_for_which_team(planted, who, team, status):
    before = _counts(planted["url"])
    minutes = 100 + CALLERS.index((who, team, status))
    answer = _post(
        planted, gpx_of(_walk(minutes)), who=who, params={"team": team} if team else None
    )
    assert answer.status_code == status, answer.text
    after = _counts(planted["url"])
    assert after["patrol_uploads"] == before["patrol_uploads"] + (status == 201)
    if status == 201:
        assert answer.json()["team"] == team


def test_a_signed_in_member_uploads_with_the_session(planted):
    with httpx.Client(base_url=planted["base"], timeout=60) as client:
        signed = client.post(
            "/api/v1/session", json={"login": "li.na", "password": "a long enough password"}
        )
        assert signed.status_code in (200, 201), signed.text
        # the cookie is Secure: sent by hand to this plain-HTTP test server
        cookie = f"onemap_session={signed.cookies['onemap_session']}"
        answer = client.post(
            TRACKS,
            content=gpx_of(_walk(200)),
            headers={"Content-Type": GPX, "Cookie": cookie},
            params={"team": "walkers"},
        )
    assert answer.status_code == 201, answer.text
