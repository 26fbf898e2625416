"""GET /api/v1/places/{code} and /api/v1/places/compounds/{id} on the demo district: the
panels' figures checked against SQL written here, what anonymous callers, signed-in
callers, command staff and analysts each see, and bad codes answered 400 or 404 by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from gis import tokens
from gis.people import directory

URL = "/api/v1/places"
MEMBER_NAME = "韦测试网格员"
OPEN = "('closed', 'evaluated', 'rejected', 'duplicate', 'not_responsible')"


@pytest.fixture(scope="module")
def grid(database_url: str, demo_district: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The grid with the most open events of a category the public may not see, a grid
    member signed up for it (removed afterwards), and a staff member's and a planner's
    tokens."""
    with psycopg.connect(database_url) as conn:
        code = conn.execute(
            f"""SELECT rtrim(e.grid_code) FROM events AS e JOIN event_categories AS c
                USING (category_code)
                WHERE NOT c.public AND e.status NOT IN {OPEN}
                GROUP BY e.grid_code ORDER BY count(*) DESC, e.grid_code LIMIT 1"""
        ).fetchone()[0]
        person = directory.add(
            conn,
            login="panel-member",
            name=MEMBER_NAME,
            role="grid_member",
            password="a long enough password 1",
            grids=(code,),
        )
        staff = tokens.create(conn, name="panel staff", role="staff")
        planner = tokens.create(conn, name="panel planner", role="planner")
        conn.commit()
    yield {
        "code": code,
        "staff": {"Authorization": f"Bearer {staff}"},
        "planner": {"Authorization": f"Bearer {planner}"},
    }
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM person_grids WHERE person_id = %s", (person,))
        conn.execute("DELETE FROM people WHERE person_id = %s", (person,))


def _panel(client: Any, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = client.get(f"{URL}/{path}", headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _open_events(db: psycopg.Connection, source: str, where: str, args: tuple) -> tuple:
    return db.execute(
        f"""SELECT count(*) FILTER (WHERE status NOT IN {OPEN}),
                   count(*) FILTER (WHERE status NOT IN {OPEN}
                                    AND (overdue OR deadline_at < now())),
                   count(*)
            FROM {source} AS e WHERE {where}""",
        args,
    ).fetchone()


def test_an_anonymous_grid_panel_has_figures_and_nothing_personal(client, db, grid):
    code = grid["code"]
    answer = client.get(f"{URL}/{code}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["code"], body["level"]) == (code, "grid")
    assert [p["level"] for p in body["parents"]] == ["county", "township", "community"]
    held = db.execute(
        """SELECT coalesce(sum(households), 0), coalesce(sum(population), 0), count(*)
           FROM (SELECT DISTINCT ON (b.building_code) b.households, b.population, g.grid_code
                 FROM buildings AS b JOIN grids AS g ON ST_Contains(g.geom, b.point)
                 ORDER BY b.building_code, g.grid_code) AS placed
           WHERE grid_code = %s""",
        (code,),
    ).fetchone()
    assert (body["households"], body["residents"], body["buildings"]) == held
    team = db.execute(
        "SELECT leaders, instructors, members FROM grids WHERE grid_code = %s", (code,)
    ).fetchone()
    assert (body["team"]["leaders"], body["team"]["instructors"], body["team"]["members"]) == team
    assert "people" not in body["team"] and not body["team"]["names_shown"]
    assert MEMBER_NAME not in answer.text
    assert body["patrols"] is None
    # the public's view: no hidden event, no category the public may not see
    public = _open_events(db, "public_events", "e.grid_code = %s", (code,))
    everything = _open_events(db, "events", "e.grid_code = %s", (code,))
    events = body["events"]
    assert events["public_view"]
    assert (events["open"], events["overdue"], events["events"]) == public
    assert public[0] < everything[0]
    assert sum(events["open_by_stage"].values()) == events["open"]
    latest = events["latest"]
    assert 0 < len(latest) <= 5
    assert [e["reported_at"] for e in latest] == sorted(
        (e["reported_at"] for e in latest), reverse=True
    )
    assert not any("description" in event for event in latest)


def test_signed_in_callers_see_every_event_staff_the_names_analysts_the_patrols(client, db, grid):
    code = grid["code"]
    staff = _panel(client, code, grid["staff"])
    everything = _open_events(db, "events", "e.grid_code = %s", (code,))
    assert (staff["events"]["open"], staff["events"]["overdue"], staff["events"]["events"]) == (
        everything
    )
    assert not staff["events"]["public_view"]
    assert staff["team"]["people"] == [{"name": MEMBER_NAME, "grids": [code]}]
    last = db.execute(
        "SELECT max(left_at) FROM patrol_stretches WHERE grid_code = %s", (code,)
    ).fetchone()[0]
    patrols = staff["patrols"]
    assert patrols is not None
    if last is None:
        assert patrols["recent_visits"] == [] and patrols["last_patrolled_at"] is None
    else:
        assert patrols["recent_visits"][0]["left_at"] <= patrols["last_patrolled_at"]
        assert len(patrols["recent_visits"]) <= 5
    planner = _panel(client, code, grid["planner"])
    assert planner["patrols"] == patrols
    assert "people" not in planner["team"]


def test_a_grids_indicators_stand_beside_the_districts(client, grid):
    body = _panel(client, grid["code"])
    values = {i["name"]: i for i in body["indicators"]["values"]}
    assert "patrol_coverage" not in values  # the analysts'
    layer = client.get(
        "/api/v1/indicators/areas", params={"level": "grid", "indicator": "closure_rate"}
    ).json()
    own = next(area for area in layer["areas"] if area["code"] == grid["code"])
    assert values["closure_rate"]["value"] == own["value"]
    assert values["closure_rate"]["district"] == layer["total"]["value"]
    coverage = values["service_coverage_15"]
    assert body["coverage"]["households"] == coverage["denominator"]
    assert body["coverage"]["covered_households"] == coverage["numerator"]


def test_a_community_panel_lists_its_centres_against_the_standard(client, db):
    community = db.execute(
        """SELECT rtrim(m.community_code) FROM communities AS m
           JOIN service_centers AS c ON ST_Intersects(m.geom, c.geom)
           WHERE c.level = 'compound' GROUP BY m.community_code
           ORDER BY count(*) DESC, m.community_code LIMIT 1"""
    ).fetchone()[0]
    body = _panel(client, community)
    inside = [
        row[0]
        for row in db.execute(
            """SELECT c.center_id FROM service_centers AS c JOIN communities AS m
               ON ST_Intersects(m.geom, c.geom) WHERE m.community_code = %s
               ORDER BY c.center_id""",
            (community,),
        )
    ]
    centres = body["service_centres"]["centres"]
    assert [c["id"] for c in centres] == inside
    assert body["service_centres"]["standard"]["compound_centre_min_m2"] == 300.0
    for centre in centres:
        if centre["level"] == "compound":
            assert centre["required_m2"] >= 300.0
            assert centre["meets_area"] == (centre["area_m2"] >= centre["required_m2"])
    held = db.execute(
        "SELECT households, population FROM community_statistics WHERE community_code = %s",
        (community,),
    ).fetchone()
    assert (body["households"], body["residents"]) == held
    assert (
        body["team"]["grids"]
        == db.execute(
            "SELECT count(*) FROM grids WHERE community_code = %s", (community,)
        ).fetchone()[0]
    )


def test_a_building_panel_is_its_grids_and_its_own(client, db, grid):
    code, households, grid_code, covered = db.execute(
        """SELECT b.building_code, b.households,
                  (SELECT rtrim(g.grid_code) FROM grids AS g
                   WHERE ST_Contains(g.geom, b.point) ORDER BY g.grid_code LIMIT 1),
                  EXISTS (SELECT 1 FROM service_areas AS a
                          WHERE a.minutes = 15 AND ST_Intersects(a.geom, b.point))
           FROM buildings AS b WHERE b.households > 0
           ORDER BY b.building_code LIMIT 1"""
    ).fetchone()
    body = _panel(client, code, grid["staff"])
    assert (body["level"], body["grid"], body["households"]) == ("building", grid_code, households)
    assert body["coverage"]["covered"] == covered
    assert body["coverage"]["covered_households"] == (households if covered else 0)
    near = db.execute(
        "SELECT count(*) FROM events AS e, buildings AS b WHERE b.building_code = %s"
        " AND ST_DWithin(e.geom::geography, b.geom::geography, 50)",
        (code,),
    ).fetchone()[0]
    assert body["events"]["events"] == near
    assert body["indicators"]["code"] == grid_code


def test_a_compound_panel_sums_its_buildings(client, db, grid):
    compound_id, households, residents = db.execute(
        """SELECT c.compound_id, sum(b.households), sum(b.population)
           FROM compounds AS c JOIN buildings AS b USING (compound_id)
           WHERE EXISTS (SELECT 1 FROM events AS e WHERE ST_Intersects(c.geom, e.geom))
           GROUP BY c.compound_id ORDER BY count(*) DESC, c.compound_id LIMIT 1"""
    ).fetchone()
    body = _panel(client, f"compounds/{compound_id}")
    assert body["level"] == "compound"
    assert (body["households"], body["residents"]) == (households, residents)
    assert body["parents"][-1]["level"] == "community"
    # the public sees each event at its 50 m cell: counted where the public view puts it
    public = db.execute(
        "SELECT count(*) FROM public_events AS e, compounds AS c WHERE c.compound_id = %s"
        " AND ST_Intersects(c.geom, e.geom)",
        (compound_id,),
    ).fetchone()[0]
    assert body["events"]["events"] == public
    inside = db.execute(
        "SELECT count(*) FROM events AS e, compounds AS c WHERE c.compound_id = %s"
        " AND ST_Intersects(c.geom, e.geom)",
        (compound_id,),
    ).fetchone()[0]
    assert inside > 0
    assert _panel(client, f"compounds/{compound_id}", grid["staff"])["events"]["events"] == inside


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("450105999999", 404, "450105999999"),
        ("450105001001999", 404, "450105001001999"),
        ("compounds/999999", 404, "999999"),
        ("12x", 400, "code:"),
        ("450105", 400, "code:"),
        ("4501050010010010101", 400, "code:"),
        ("compounds/first", 400, "compound_id:"),
        ("450105001?level=grid", 400, "level:"),
    ],
)
def test_bad_and_unknown_places(client, path, status, named):
    answer = client.get(f"{URL}/{path}")
    assert answer.status_code == status, answer.text
    assert named in answer.json()["description"]
