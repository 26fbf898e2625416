"""What PostgreSQL itself enforces for the service's role, onemap_service (migration 0013,
gis/people/sql/functions/access_policies.sql), whatever the routers check: it owns
nothing, cannot touch the audit trail, and row-level security lets each caller change
only the events of their scope. One table of cases, run as the service would connect."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from gis.db import SERVICE_ROLE
from gis.patrols.uploads import Uploader, store
from gis.people import directory
from tests.planters.event_places import (
    EAST_GRID,
    IN_EAST,
    WEST_SOUTH,
    plant_event,
    planted_database,
)
from tests.planters.patrols import fixes_along, plant_team, source

REPORTER_KEY = "rk_a-reporters-secret"


@pytest.fixture(scope="module")
def planted(admin_url: str, migrated_template: str) -> Iterator[dict[str, object]]:
    with planted_database(admin_url, migrated_template, "roles") as (url, _tokens):
        with psycopg.connect(url) as conn:
            (chengguan,) = conn.execute(
                "SELECT department_id FROM departments WHERE department_code = 'chengguan'"
            ).fetchone()
            (shuiwu,) = conn.execute(
                "SELECT department_id FROM departments WHERE department_code = 'shuiwu'"
            ).fetchone()
        events = {
            "west_grid_task": plant_event(url, status="dispatched", assignee="grid"),
            "east_grid_task": plant_event(
                url, status="dispatched", assignee="grid", point=IN_EAST, grid=EAST_GRID
            ),
            "chengguan_task": plant_event(url, status="dispatched", assignee="department"),
            "closed_with_key": plant_event(
                url,
                status="closed",
                reporter_key_sha256=hashlib.sha256(REPORTER_KEY.encode()).hexdigest(),
            ),
        }
        with psycopg.connect(url) as conn:
            teams = {code: plant_team(conn, code) for code in ("walkers", "riders")}
            member = directory.add(
                conn,
                login="li.na",
                name="李娜",
                role="grid_member",
                password="a long enough password",
                grids=(WEST_SOUTH,),
            )
            conn.execute(
                "INSERT INTO patrol_team_members (team_id, county_code, person_id, name)"
                " VALUES (%s, '450105', %s, '李娜')",
                (teams["walkers"], member),
            )
            walk = [source(fixes_along([(100.0, 100.0), (400.0, 100.0)]))]
            stored = store(
                conn,
                walk,
                team_id=teams["walkers"],
                team_code="walkers",
                source="import",
                file_name="walk.gpx",
                file_format="gpx",
                size=0,
                uploader=Uploader("test"),
            )
        yield {
            "url": url,
            "events": events,
            "chengguan": chengguan,
            "shuiwu": shuiwu,
            "teams": teams,
            "member": member,
            "walk": walk,
            "track": stored.tracks[0].track_ids[0],
        }


def _service(url: str) -> psycopg.Connection:
    return psycopg.connect(make_conninfo(url, user=SERVICE_ROLE), autocommit=True)


def _as(conn: psycopg.Connection, settings: dict[str, str]) -> None:
    names = ("role", "county", "grids", "department_id", "team_id", "person_id")
    for name in (*names, "reporter_key_sha256"):
        conn.execute("SELECT set_config(%s, %s, false)", (f"onemap.{name}", settings.get(name, "")))


COUNTY = {"county": "450105"}
# (who, settings, event, may change it)
SCOPES = [
    ("public", {}, "west_grid_task", False),
    ("staff", {"role": "staff", **COUNTY}, "west_grid_task", True),
    ("staff", {"role": "staff", **COUNTY}, "chengguan_task", True),
    ("staff of another county", {"role": "staff", "county": "450103"}, "west_grid_task", False),
    ("admin", {"role": "admin", **COUNTY}, "east_grid_task", True),
    ("auditor", {"role": "auditor", **COUNTY}, "west_grid_task", False),
    ("planner", {"role": "planner", **COUNTY}, "west_grid_task", False),
    ("open311", {"role": "open311", **COUNTY}, "west_grid_task", False),
    (
        "member of the grid",
        {"role": "grid_member", "grids": WEST_SOUTH, **COUNTY},
        "west_grid_task",
        True,
    ),
    (
        "member of another grid",
        {"role": "grid_member", "grids": EAST_GRID, **COUNTY},
        "west_grid_task",
        False,
    ),
    (
        "member of both grids",
        {"role": "grid_member", "grids": f"{EAST_GRID},{WEST_SOUTH}", **COUNTY},
        "east_grid_task",
        True,
    ),
    (
        "handler of the department",
        {"role": "department", "department_id": "chengguan", **COUNTY},
        "chengguan_task",
        True,
    ),
    (
        "handler of another department",
        {"role": "department", "department_id": "shuiwu", **COUNTY},
        "chengguan_task",
        False,
    ),
    (
        "handler on a grid's task",
        {"role": "department", "department_id": "chengguan", **COUNTY},
        "west_grid_task",
        False,
    ),
    (
        "reporter with the key",
        {
            "role": "reporter",
            "reporter_key_sha256": hashlib.sha256(REPORTER_KEY.encode()).hexdigest(),
        },
        "closed_with_key",
        True,
    ),
    (
        "reporter with another key",
        {"role": "reporter", "reporter_key_sha256": hashlib.sha256(b"rk_guess").hexdigest()},
        "closed_with_key",
        False,
    ),
    ("onemap itself", {"role": "system"}, "east_grid_task", True),
]


@pytest.mark.parametrize(("who", "settings", "event", "may"), SCOPES, ids=[s[0] for s in SCOPES])
def test_row_level_security_lets_each_caller_change_only_their_events(
    planted: dict, who: str, settings: dict[str, str], event: str, may: bool
) -> None:
    settings = dict(settings)
    if settings.get("department_id") in ("chengguan", "shuiwu"):
        settings["department_id"] = str(planted[settings["department_id"]])
    event_id = planted["events"][event]
    with _service(planted["url"]) as conn:
        _as(conn, settings)
        with conn.transaction(force_rollback=True):
            changed = conn.execute(
                "UPDATE events SET updated_at = now() WHERE event_id = %s", (event_id,)
            ).rowcount
    assert changed == (1 if may else 0), who


# (what the service tries, the error PostgreSQL answers with)
FORBIDDEN = [
    ("UPDATE event_history SET note = 'rewritten'", psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM event_history", psycopg.errors.InsufficientPrivilege),
    ("ALTER TABLE event_history DISABLE TRIGGER USER", psycopg.errors.InsufficientPrivilege),
    ("TRUNCATE event_history", psycopg.errors.InsufficientPrivilege),
    ("UPDATE admin_log SET actor = 'nobody'", psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM admin_log", psycopg.errors.InsufficientPrivilege),
    ("ALTER TABLE events DISABLE ROW LEVEL SECURITY", psycopg.errors.InsufficientPrivilege),
    ("DROP POLICY events_act ON events", psycopg.errors.InsufficientPrivilege),
    ("UPDATE api_tokens SET role = 'admin'", psycopg.errors.InsufficientPrivilege),
    (
        "INSERT INTO people (county_code, login, name, role, password_hash)"
        " VALUES ('450105', 'intruder', 'x', 'admin', '$argon2id$x')",
        psycopg.errors.InsufficientPrivilege,
    ),
    ("UPDATE event_categories SET public = true", psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM events", None),  # no DELETE policy: nothing is deleted, checked below
    # uploads are added, never changed or taken back by the service
    ("UPDATE patrol_tracks SET piece = 1", psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM patrol_tracks", psycopg.errors.InsufficientPrivilege),
    ("UPDATE patrol_sources SET kept_points = 0", psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM patrol_uploads", psycopg.errors.InsufficientPrivilege),
    ("UPDATE patrol_teams SET kind = 'police'", psycopg.errors.InsufficientPrivilege),
    ("ALTER TABLE patrol_uploads DISABLE ROW LEVEL SECURITY", psycopg.errors.InsufficientPrivilege),
    ("CREATE TABLE intruder (x int)", psycopg.errors.InsufficientPrivilege),
]


@pytest.mark.parametrize(("statement", "error"), FORBIDDEN, ids=[f[0][:40] for f in FORBIDDEN])
def test_the_service_cannot_alter_the_audit_trail_or_the_rules(
    planted: dict, statement: str, error: type[Exception] | None
) -> None:
    count = "SELECT count(*), (SELECT count(*) FROM event_history) FROM events"
    with psycopg.connect(planted["url"]) as owner:
        before = owner.execute(count).fetchone()
    with _service(planted["url"]) as conn:
        _as(conn, {"role": "admin", **COUNTY})
        if error is None:
            assert conn.execute(statement).rowcount == 0
        else:
            with pytest.raises(error):
                conn.execute(statement)
    with psycopg.connect(planted["url"]) as owner:
        assert owner.execute(count).fetchone() == before


# (who, settings, the team it uploads for, may it)
UPLOADS = [
    ("the team's token", {"role": "team", "team_id": "walkers", **COUNTY}, "walkers", True),
    ("another team's token", {"role": "team", "team_id": "riders", **COUNTY}, "walkers", False),
    (
        "a member of the team",
        {"role": "grid_member", "person_id": "li.na", **COUNTY},
        "walkers",
        True,
    ),
    (
        "a grid member not in it",
        {"role": "grid_member", "person_id": "li.na", **COUNTY},
        "riders",
        False,
    ),
    (
        "a grid member of nobody",
        {"role": "grid_member", "grids": WEST_SOUTH, **COUNTY},
        "walkers",
        False,
    ),
    ("staff", {"role": "staff", **COUNTY}, "riders", True),
    ("staff of another county", {"role": "staff", "county": "450103"}, "walkers", False),
    ("an auditor", {"role": "auditor", **COUNTY}, "walkers", False),
    ("the public", {}, "walkers", False),
    ("onemap itself", {"role": "system"}, "riders", True),
]


def _settings_of(planted: dict, settings: dict[str, str]) -> dict[str, str]:
    settings = dict(settings)
    if "team_id" in settings:
        settings["team_id"] = str(planted["teams"][settings["team_id"]])
    if "person_id" in settings:
        settings["person_id"] = str(planted["member"])
    return settings


@pytest.mark.parametrize(("who", "settings", "team", "may"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_row_level_security_lets_a_caller_upload_only_for_their_teams(
    planted: dict, who: str, settings: dict[str, str], team: str, may: bool
) -> None:
    insert = (
        "INSERT INTO patrol_uploads (county_code, team_id, source, format, bytes, uploaded_by)"
        " VALUES ('450105', %s, 'api', 'gpx', 0, 'test')"
    )
    with _service(planted["url"]) as conn:
        _as(conn, _settings_of(planted, settings))
        with conn.transaction(force_rollback=True):
            if may:
                assert conn.execute(insert, (planted["teams"][team],)).rowcount == 1, who
            else:
                with pytest.raises(
                    psycopg.errors.InsufficientPrivilege, match="row-level security"
                ):
                    conn.execute(insert, (planted["teams"][team],))


def test_a_team_token_cannot_store_another_teams_tracks(planted: dict) -> None:
    count = "SELECT count(*) FROM patrol_uploads"
    with psycopg.connect(planted["url"]) as owner:
        (before,) = owner.execute(count).fetchone()
    arguments = {
        "team_code": "walkers",
        "source": "api",
        "file_name": "walk.gpx",
        "file_format": "gpx",
        "size": 0,
        "uploader": Uploader("riders' phone"),
    }
    with _service(planted["url"]) as conn:
        _as(conn, _settings_of(planted, {"role": "team", "team_id": "riders", **COUNTY}))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            store(conn, planted["walk"], team_id=planted["teams"]["walkers"], **arguments)
        # the walkers' own phone may, through the same function
        _as(conn, _settings_of(planted, {"role": "team", "team_id": "walkers", **COUNTY}))
        with conn.transaction(force_rollback=True):
            stored = store(conn, planted["walk"], team_id=planted["teams"]["walkers"], **arguments)
            assert len(stored.tracks) == 1
    with psycopg.connect(planted["url"]) as owner:
        assert owner.execute(count).fetchone() == (before,)
    # nor can a team's own phone change a stored track
    with _service(planted["url"]) as conn:
        _as(conn, _settings_of(planted, {"role": "team", "team_id": "walkers", **COUNTY}))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "UPDATE patrol_tracks SET started_at = started_at - interval '1 hour'"
                " WHERE track_id = %s",
                (planted["track"],),
            )


def test_reading_keeps_the_spatial_indexes(planted: dict) -> None:
    # a SELECT policy other than a constant one would put itself before PostGIS's
    # operators (not LEAKPROOF) and cost the service its GiST indexes
    query = (
        "EXPLAIN SELECT event_id FROM events WHERE ST_DWithin(geom::geography,"
        " ST_SetSRID(ST_MakePoint(108.31, 22.81), 4326)::geography, 50)"
    )
    with _service(planted["url"]) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in conn.execute(query))
    assert "events_geog_idx" in plan, plan


def test_the_service_owns_nothing(planted: dict) -> None:
    with psycopg.connect(planted["url"]) as owner:
        owned = owner.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", (SERVICE_ROLE,)
        ).fetchone()[0]
        super_, creates_roles = owner.execute(
            "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", (SERVICE_ROLE,)
        ).fetchone()
    assert (owned, super_, creates_roles) == (0, False, False)
