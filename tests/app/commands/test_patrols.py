"""`onemap patrols teams …` and `onemap import patrols FILE --team CODE`, run as an
administrator runs them: teams made, files stored with what cleaning dropped, and every
bad file refused naming the file, the track and the problem, nothing written."""

from __future__ import annotations

import json
import subprocess

import psycopg
import pytest

from tests.planters import cli
from tests.planters.patrols import START, fixes_along, geojson_of, gpx_of
from tests.planters.walking import lonlat, plant_county

TABLES = ("patrol_uploads", "patrol_sources", "patrol_tracks")


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.onemap(*args, env={"ONEMAP_DATABASE_URL": url, "COLUMNS": "200"})


@pytest.fixture
def url(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        plant_county(conn)
    done = run(
        scratch_database,
        "patrols",
        "teams",
        "add",
        "zmj-1",
        "--name",
        "紫马甲一队",
        "--kind",
        "volunteers",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "added team zmj-1 (志愿者), serving 0 grid(s)"
    return scratch_database


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_gpx_file_is_stored_with_what_cleaning_dropped(url, tmp_path):
    walk = fixes_along([(0, 0), (600, 0)])
    walk[20] = (*lonlat(240, 300), walk[20][2])
    later = fixes_along([(0, 100), (300, 100)], start=walk[-1][2] + 3600)
    path = tmp_path / "晚巡.gpx"
    path.write_bytes(gpx_of(walk + later))
    done = run(url, "import", "patrols", str(path), "--team", "zmj-1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (track,) = report["tracks"]
    assert (track["raw_points"], track["kept_points"], track["pieces"]) == (
        len(walk + later),
        len(walk + later) - 1,
        2,
    )
    assert track["dropped"]["jump"] == 1 and sum(track["dropped"].values()) == 1
    assert _counts(url) == {"patrol_uploads": 1, "patrol_sources": 1, "patrol_tracks": 2}
    with psycopg.connect(url) as conn:
        logged = conn.execute(
            "SELECT target, detail->>'team', detail->>'tracks' FROM admin_log"
            " WHERE action = 'import'"
        ).fetchall()
    assert logged == [("patrols", "zmj-1", "2")]


def test_the_table_says_what_was_kept(url, tmp_path):
    path = tmp_path / "round.geojson"
    path.write_bytes(geojson_of(fixes_along([(0, 0), (300, 0)])))
    done = run(url, "import", "patrols", str(path), "--team", "zmj-1", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "features[0]" in done.stdout and "none" in done.stdout
    assert "would store 1 track piece(s); nothing written (dry run)" in done.stderr
    assert _counts(url) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("bad.gpx", b"<gpx><trk>", "not GPX"),
        (
            "backwards.gpx",
            gpx_of(
                [
                    (lon, lat, START - 10 * i)
                    for i, (lon, lat, _) in enumerate(fixes_along([(0, 0), (120, 0)]))
                ]
            ),
            "times go backwards at 10 of 11 fixes",
        ),
        (
            "far.geojson",
            geojson_of([(lon + 1.5, lat, t) for lon, lat, t in fixes_along([(0, 0), (120, 0)])]),
            "all 11 fixes lie outside county 450105",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_track(url, tmp_path, name, content, said):
    path = tmp_path / name
    path.write_bytes(content)
    done = run(url, "import", "patrols", str(path), "--team", "zmj-1")
    assert done.returncode == 1
    assert name in done.stderr and said in done.stderr
    assert _counts(url) == dict.fromkeys(TABLES, 0)


def test_a_file_too_big_for_a_day_is_refused_unread(url, tmp_path):
    path = tmp_path / "huge.gpx"
    with path.open("wb") as file:
        file.truncate(17 * 1024 * 1024)
    done = run(url, "import", "patrols", str(path), "--team", "zmj-1", "--json")
    assert done.returncode == 1
    (problem,) = json.loads(done.stdout)["problems"]
    assert problem["problem"].startswith("huge.gpx: 17,825,792 bytes")


def test_an_unknown_team_or_no_team_is_a_usage_error(url, tmp_path):
    path = tmp_path / "round.gpx"
    path.write_bytes(gpx_of(fixes_along([(0, 0), (120, 0)])))
    unknown = run(url, "import", "patrols", str(path), "--team", "nobody")
    assert unknown.returncode == 2 and "no patrol team 'nobody' in county 450105" in unknown.stderr
    missing = run(url, "import", "patrols", str(path))
    assert missing.returncode == 2 and "--team CODE" in missing.stderr


def test_teams_are_listed_with_members(url):
    assert run(url, "patrols", "teams", "member", "zmj-1", "--name", "李阿姨").returncode == 0
    bad = run(url, "patrols", "teams", "add", "Bad Code", "--name", "x", "--kind", "volunteers")
    assert bad.returncode == 2 and "team code 'Bad Code'" in bad.stderr
    kind = run(url, "patrols", "teams", "add", "x1", "--name", "x", "--kind", "pirates")
    assert kind.returncode == 2 and "team kind 'pirates'" in kind.stderr
    listed = json.loads(run(url, "patrols", "teams", "list", "--json").stdout)
    assert [(t["team_code"], t["kind"], t["members"]) for t in listed] == [
        ("zmj-1", "volunteers", 1)
    ]
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE patrol_teams SET disabled_at = now()")
    assert json.loads(run(url, "patrols", "teams", "list", "--json").stdout) == []
    everyone = json.loads(run(url, "patrols", "teams", "list", "--all", "--json").stdout)
    assert [(t["team_code"], t["disabled"]) for t in everyone] == [("zmj-1", True)]


def test_a_team_token_is_made_for_a_team_and_only_for_one(url):
    made = run(
        url, "tokens", "create", "--name", "紫马甲一队 手机", "--role", "team", "--team", "zmj-1"
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("om_")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT k.role, t.team_code FROM api_tokens AS k JOIN patrol_teams AS t USING (team_id)"
        ).fetchone()
    assert row == ("team", "zmj-1")
    unknown = run(url, "tokens", "create", "--name", "x", "--role", "team", "--team", "nobody")
    assert unknown.returncode == 2 and "no patrol team 'nobody'" in unknown.stderr
    teamless = run(url, "tokens", "create", "--name", "x", "--role", "team")
    assert teamless.returncode == 2 and "names its patrol team" in teamless.stderr
    staff = run(url, "tokens", "create", "--name", "x", "--role", "staff", "--team", "zmj-1")
    assert staff.returncode == 2 and "names its patrol team" in staff.stderr
