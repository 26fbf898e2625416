"""`onemap audit grids`, run as a user would run it: JSON or tables, and its exit codes
(0 clean, 1 findings, 2 usage errors, 3 database failures)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.planters import cli

pytestmark = pytest.mark.usefixtures("demo_district")


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap("audit", "grids", *args, env={"ONEMAP_DATABASE_URL": url})


def test_findings_exit_1_with_the_full_report_as_json(database_url, db):
    result = run(database_url, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    unstaffed = db.execute("SELECT count(*) FROM grids WHERE leaders = 0 OR members = 0")
    assert report["summary"]["unstaffed_grids"] == unstaffed.fetchone()[0] > 0
    assert report["summary"]["grids"] == 418


def test_a_clean_community_exits_0_and_prints_the_summary_table(database_url, db):
    community = db.execute(
        "SELECT rtrim(min(community_code)) FROM grids GROUP BY community_code"
        " HAVING min(leaders) > 0 AND min(members) > 0 ORDER BY 1 LIMIT 1"
    ).fetchone()[0]
    result = run(database_url, "--community", community)
    assert result.returncode == 0, result.stderr
    assert community in result.stdout
    assert "overlaps" in result.stdout and "clean" in result.stdout


def test_the_table_lists_findings(database_url):
    result = run(database_url)
    assert result.returncode == 1
    assert "unstaffed_grids" in result.stdout and "no_leader" in result.stdout


@pytest.mark.parametrize(
    ("code", "message"),
    [("4501050010", "10 digits"), ("450105999999", "no community 450105999999")],
)
def test_usage_errors_exit_2(database_url, code, message):
    result = run(database_url, "--community", code)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_an_unreachable_database_exits_3():
    result = run("postgresql://onemap@127.0.0.1:1/none?connect_timeout=2")
    assert result.returncode == 3
    assert "database" in result.stderr
