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
from tests.planters.event_places import (
    EAST_GRID,
    IN_EAST,
    WEST_SOUTH,
    plant_event,
    planted_database,
)

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
        yield {"url": url, "events": events, "chengguan": chengguan, "shuiwu": shuiwu}


def _service(url: str) -> psycopg.Connection:
    return psycopg.connect(make_conninfo(url, user=SERVICE_ROLE), autocommit=True)


def _as(conn: psycopg.Connection, settings: dict[str, str]) -> None:
    for name in ("role", "county", "grids", "department_id", "reporter_key_sha256"):
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
