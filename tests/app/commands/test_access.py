"""`onemap access compute | coverage | standards` as a user runs them: exit codes,
summaries, and JSON equal to the library's answers."""

from __future__ import annotations

import json
import subprocess

from gis.access import coverage_report
from tests.planters import cli


def onemap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"}
    return cli.onemap("access", *args, env=env, timeout=600)


def test_compute_one_centre_replaces_its_areas(database_url, db, demo_district):
    centre, before = db.execute(
        "SELECT center_id, max(computed_at) FROM service_areas GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    db.commit()
    result = onemap(database_url, "compute", "--centre", str(centre), "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert (run["centres"], run["areas"], run["network_centres"]) == (1, 3, 1)
    after = db.execute(
        "SELECT count(*), min(computed_at) FROM service_areas WHERE center_id = %s", (centre,)
    ).fetchone()
    assert after[0] == 3 and after[1] > before
    human = onemap(database_url, "compute", "--centre", str(centre), "--no-progress")
    assert "3 areas (5, 10, 15 min at 5 km/h, band 50 m) for 1 centres" in human.stderr


def test_compute_refuses_unknown_centres_and_bad_options(database_url):
    missing = onemap(database_url, "compute", "--centre", "99999999")
    assert missing.returncode == 2 and "99999999" in missing.stderr
    assert onemap(database_url, "compute", "--workers", "0").returncode == 2


def test_coverage_json_is_the_library_report(database_url, db, demo_district, tmp_path):
    uncovered = tmp_path / "uncovered.geojson"
    result = onemap(
        database_url,
        "coverage",
        "--minutes",
        "5",
        "--by",
        "subdistrict",
        "--json",
        "--uncovered",
        str(uncovered),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == coverage_report(db, minutes=5, group_by="subdistrict").as_dict()
    layer = json.loads(uncovered.read_text(encoding="utf-8"))
    assert layer["uncovered_households"] == (
        report["total"]["households"] - report["total"]["covered_households"]
    )
    table = onemap(database_url, "coverage", "--minutes", "10", "--by", "county")
    assert table.returncode == 0 and "Coverage at 10 minutes" in table.stdout
    assert onemap(database_url, "coverage", "--minutes", "7").returncode == 2


def test_standards_exit_codes(database_url):
    failing = onemap(database_url, "standards", "--level", "community")
    assert failing.returncode == 1, failing.stderr
    assert "Service-centre standards" in failing.stdout and "short" in failing.stdout
    # the demo's subdistrict centres have their four rooms and no area standard
    clean = onemap(database_url, "standards", "--level", "subdistrict")
    assert clean.returncode == 0, clean.stdout
    assert "every centre meets its standard" in clean.stdout
    assert onemap(database_url, "standards", "--level", "street").returncode == 2
    assert onemap(database_url, "standards", "--scope", "12").returncode == 2


def test_suggest_exit_codes(database_url):
    ranked = onemap(database_url, "suggest", "--k", "2", "--minutes", "5", "--level", "community")
    assert ranked.returncode == 0, ranked.stderr
    assert "2 new centres (mclp, 5 min)" in ranked.stdout
    unreachable = onemap(
        database_url, "suggest", "--target", "99", "--minutes", "5", "--level", "community"
    )
    assert unreachable.returncode == 1 and "cannot be reached" in unreachable.stderr
    assert onemap(database_url, "suggest", "--minutes", "5").returncode == 2  # no --k
