"""People sign in with a password (argon2id) and get a session cookie for pages; the
cookie stands for them on the API until they sign out, their password changes or they
are disabled. Every sign-in, refusal and sign-out is in the admin log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.settings import Settings
from gis.people import directory
from tests.planters.event_places import (
    EAST_GRID,
    IN_EAST,
    WEST_SOUTH,
    plant_event,
    planted_database,
)
from tests.planters.minutes import early_in_a_minute

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def planted(admin_url: str, migrated_template: str) -> Iterator[dict[str, Any]]:
    with planted_database(admin_url, migrated_template, "sessions") as (url, _secrets):
        with psycopg.connect(url) as conn:
            directory.add(
                conn,
                login="wang.wei",
                name="王伟",
                role="grid_member",
                password=PASSWORD,
                grids=(WEST_SOUTH, EAST_GRID),
            )
        app = create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=4))
        with TestClient(app, base_url="https://onemap.test") as client:
            yield {"url": url, "client": client}


def _sign_in(client: TestClient, login: str = "wang.wei", password: str = PASSWORD) -> Any:
    return client.post("/api/v1/session", json={"login": login, "password": password})


def _log(url: str, action: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT actor, target FROM admin_log WHERE action = %s ORDER BY entry_id", (action,)
        ).fetchall()


def test_a_person_signs_in_acts_in_their_grids_and_signs_out(planted):
    client, url = planted["client"], planted["url"]
    wrong = _sign_in(client, password="not the password")
    assert wrong.status_code == 401 and "onemap_session" not in wrong.cookies
    assert ("anonymous", "wang.wei") in _log(url, "session.refused")
    signed_in = _sign_in(client)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["grids"] == sorted([WEST_SOUTH, EAST_GRID])
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    assert client.get("/api/v1/session").json()["signed_in_with"] == "session"
    # the cookie acts for them, in each of their grids (the database agrees)
    for point, grid in ((None, WEST_SOUTH), (IN_EAST, EAST_GRID)):
        extra = {"point": point} if point else {}
        event_id = plant_event(url, status="dispatched", assignee="grid", grid=grid, **extra)
        accepted = client.post(
            f"/api/v1/events/{event_id}/transitions",
            json={"action": "accept"},
            headers={"Origin": "https://onemap.test"},
        )
        assert accepted.status_code == 200, accepted.text
        with psycopg.connect(url) as conn:
            actor, person = conn.execute(
                "SELECT actor, person_id FROM event_history WHERE event_id = %s"
                " ORDER BY history_id DESC LIMIT 1",
                (event_id,),
            ).fetchone()
        assert actor == "王伟" and person is not None
    # another site's page cannot use the cookie
    event_id = plant_event(url, status="dispatched", assignee="grid")
    forged = client.post(
        f"/api/v1/events/{event_id}/transitions",
        json={"action": "accept"},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    # a session lasts its 12 hours and no longer
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE sessions SET created_at = created_at - interval '13 hours',"
            " expires_at = expires_at - interval '13 hours' WHERE revoked_at IS NULL"
        )
    expired = client.get("/api/v1/session")
    assert expired.status_code == 401 and "expired" in expired.json()["description"]
    assert _sign_in(client).status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/session").status_code == 401
    assert [target for _, target in _log(url, "session.open")] == ["wang.wei", "wang.wei"]
    assert len(_log(url, "session.close")) == 1


def test_guessing_is_slowed_and_disabled_people_are_refused(planted):
    client, url = planted["client"], planted["url"]
    with psycopg.connect(url) as conn:
        directory.add(conn, login="li.na", name="李娜", role="auditor", password=PASSWORD)
    early_in_a_minute()
    statuses = [_sign_in(client, "li.na", f"guess {n}").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    # a disabled person's session and tokens end with them
    runner = CliRunner()
    env = {"ONEMAP_DATABASE_URL": url}
    added = runner.invoke(
        cli,
        ["people", "add", "zhao.lei", "--name", "赵磊", "--role", "planner", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert _sign_in(client, "zhao.lei").status_code == 200
    assert client.get("/api/v1/session").json()["role"] == "planner"
    disabled = runner.invoke(cli, ["people", "disable", "zhao.lei"], env=env)
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/api/v1/session").status_code == 401
    assert _sign_in(client, "zhao.lei").status_code == 401
    weak = runner.invoke(
        cli,
        ["people", "add", "qian.li", "--name", "钱丽", "--role", "staff", "--password-stdin"],
        input="short\n",
        env=env,
    )
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output
    with psycopg.connect(url) as conn:
        stored = conn.execute(
            "SELECT password_hash FROM people WHERE login = 'zhao.lei'"
        ).fetchone()[0]
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert (
            conn.execute("SELECT count(*) FROM people WHERE login = 'qian.li'").fetchone()[0] == 0
        )
    assert [target for _, target in _log(url, "person.disable")] == ["zhao.lei"]
