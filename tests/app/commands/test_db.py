"""The `onemap` command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess

from app.commands import devdb
from tests.planters.cli import ONEMAP
from tests.planters.cli import onemap as run


def test_db_start_is_idempotent_and_status_reports_running(admin_url):
    if os.environ.get("ONEMAP_TEST_ADMIN_URL"):
        return  # the suite runs on another PostGIS; the local cluster is not in play
    first, second = run("db", "start"), run("db", "start")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    status = run("db", "status")
    assert status.returncode == 0
    state = json.loads(status.stdout)
    assert state["running"] is True and state["port"] == devdb.port()
    assert state["run_as"] != "root"


def test_db_url_follows_onemap_database_url():
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_DATABASE_URL"}
    local = subprocess.run([ONEMAP, "db", "url"], capture_output=True, text=True, env=env)
    assert local.stdout.strip() == f"postgresql://onemap@127.0.0.1:{devdb.port()}/onemap"
    other = run("db", "url", env={"ONEMAP_DATABASE_URL": "postgresql://u@db.example:5432/x"})
    assert other.stdout.strip() == "postgresql://u@db.example:5432/x"


def test_demo_load_refuses_an_unknown_scale():
    result = run("demo", "load", "--scale", "province")
    assert result.returncode == 2
    assert "province" in result.stderr and "district" in result.stderr


def test_migrate_reports_an_unreachable_database():
    result = run("migrate", env={"ONEMAP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "error" in result.stderr.lower()


def test_demo_load_from_the_command_line(database_url, demo_district):
    # loads the same seed the fixture used, so the session's data is unchanged
    result = run("demo", "load", "--seed", "7", env={"ONEMAP_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert "418" in result.stderr  # the grid count in the summary
