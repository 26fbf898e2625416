"""The 12345 hotline import (gis.events.hotline, `onemap import-events`): placement equal
to ST_Intersects per event, one report history row each, idempotent by ticket id, and bad
rows all named with nothing written."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from app.cli import cli
from gis.events.hotline import HotlineRejected, import_hotline
from tests.planters.event_places import (
    EAST,
    EAST_GRID,
    FAR_GRID,
    IN_EAST,
    IN_FAR,
    IN_GAP,
    IN_WEST_NORTH,
    IN_WEST_SOUTH,
    OUTSIDE,
    WEST_NORTH,
    WEST_SOUTH,
    planted_database,
)

HEADER = ["工单编号", "受理时间", "类别", "内容", "经度", "纬度", "地址", "状态", "办结时间"]
GOOD = [
    [
        "R001",
        "2026-06-01 09:00:00",
        "环境卫生",
        "垃圾堆积",
        *map(str, IN_WEST_SOUTH),
        "",
        "已办结",
        "2026-06-01 15:30:00",
    ],
    [
        "R002",
        "2026-06-01 10:00:00",
        "噪音扰民",
        "夜间施工",
        *map(str, IN_WEST_NORTH),
        "",
        "处理中",
        "",
    ],
    ["R003", "2026-06-02 08:00:00", "0901", "电梯停运", *map(str, IN_EAST), "幸福小区", "受理", ""],
    [
        "R004",
        "2026-06-02T08:00:00+08:00",
        "电梯故障",
        "",
        *map(str, IN_FAR),
        "",
        "办结",
        "2026-06-03 08:00",
    ],
    # the gap between grids: community EAST, no grid
    ["R005", "2026-06-03 08:00:00", "油烟扰民", "餐馆油烟", *map(str, IN_GAP), "", "", ""],
    # on the border of WEST_SOUTH and WEST_NORTH (22.82): the lower code wins
    ["R006", "2026-06-03 09:00:00", "占道经营", "", "108.31", "22.82", "", "待处理", ""],
]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "hotline") as (database, _tokens):
        yield database


def _counts(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_history)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_import_places_every_ticket_as_st_intersects_says(url: str, tmp_path: Path) -> None:
    with psycopg.connect(url) as conn:
        summary = import_hotline(conn, _write(tmp_path / "hotline.csv", GOOD))
        assert (summary.rows, summary.created, summary.skipped) == (6, 6, 0)
        assert (summary.in_grid, summary.in_gap) == (5, 1)
        events = conn.execute(
            "SELECT h.details ->> 'hotline_ticket', rtrim(e.grid_code), rtrim(e.community_code),"
            " rtrim(e.subdistrict_code), e.category_code, e.status, e.source,"
            " e.tracking_number ~ '^SJ[0-9]{14}$', h.to_status = e.status,"
            " h.actor_role, e.closed_at IS NOT NULL, e.handled_at = e.closed_at,"
            " e.address FROM events e JOIN event_history h USING (event_id)"
            " ORDER BY 1"
        ).fetchall()
        # The reference: the lowest grid that ST_Intersects each point, per event.
        expected = dict(
            conn.execute(
                "SELECT e.event_id, (SELECT min(rtrim(g.grid_code)) FROM grids g"
                " WHERE ST_Intersects(g.geom, e.geom)) FROM events e"
            ).fetchall()
        )
        placed = dict(conn.execute("SELECT event_id, rtrim(grid_code) FROM events").fetchall())
    assert placed == expected
    grids = {row[0]: row[1:4] for row in events}
    assert grids == {
        "R001": (WEST_SOUTH, WEST_SOUTH[:12], WEST_SOUTH[:9]),
        "R002": (WEST_NORTH, WEST_NORTH[:12], WEST_NORTH[:9]),
        "R003": (EAST_GRID, EAST, EAST[:9]),
        "R004": (FAR_GRID, FAR_GRID[:12], FAR_GRID[:9]),
        "R005": (None, EAST, EAST[:9]),
        "R006": (WEST_SOUTH, WEST_SOUTH[:12], WEST_SOUTH[:9]),
    }
    rest = {row[0]: row[4:] for row in events}
    assert rest["R001"] == (
        "0101",
        "closed",
        "hotline_12345",
        True,
        True,
        "system",
        True,
        True,
        None,
    )
    assert rest["R002"][:2] == ("0601", "filed")
    assert rest["R003"][:2] == ("0901", "filed") and rest["R003"][-1] == "幸福小区"
    assert rest["R004"][:2] == ("0901", "closed")
    assert rest["R005"][:2] == ("0602", "filed")
    assert all(r[2:6] == ("hotline_12345", True, True, "system") for r in rest.values())


def test_a_reimport_creates_nothing_and_new_tickets_are_added(url: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "hotline.csv", GOOD)
    with psycopg.connect(url) as conn:
        import_hotline(conn, path)
    before = _counts(url)
    with psycopg.connect(url) as conn:
        again = import_hotline(conn, path)
    assert (again.created, again.skipped) == (0, 6)
    assert _counts(url) == before
    more = [*GOOD, ["R007", "2026-06-04 09:00", "小广告", "", *map(str, IN_EAST), "", "", ""]]
    with psycopg.connect(url) as conn:
        third = import_hotline(conn, _write(tmp_path / "more.csv", more))
    assert (third.created, third.skipped) == (1, 6)
    assert _counts(url) == (before[0] + 1, before[1] + 1)


def test_bad_rows_are_all_named_and_nothing_is_written(url: str, tmp_path: Path) -> None:
    bad = [
        *GOOD[:2],
        ["R001", "2026-06-01 09:00", "环境卫生", "", *map(str, IN_EAST), "", "", ""],
        ["R 9", "yesterday", "外星人", "", "east", "22.8", "", "挂起", ""],
        ["R010", "2026-06-01 09:00", "环境卫生", "", *map(str, IN_EAST), "", "已办结", ""],
        [
            "R011",
            "2026-06-05 09:00",
            "环境卫生",
            "",
            *map(str, IN_EAST),
            "",
            "已办结",
            "2026-06-01",
        ],
    ]
    with psycopg.connect(url) as conn, pytest.raises(HotlineRejected) as caught:
        import_hotline(conn, _write(tmp_path / "bad.csv", bad))
    named = {(row, column) for row, column, _problem in caught.value.problems}
    assert named == {
        (3, "ticket_id"),
        (4, "ticket_id"),
        (4, "reported_at"),
        (4, "category"),
        (4, "lon"),
        (4, "status"),
        (5, "closed_at"),
        (6, "closed_at"),
    }
    assert "外星人" in str(caught.value)
    assert _counts(url) == (0, 0)


def test_a_point_outside_the_district_refuses_the_file(url: str, tmp_path: Path) -> None:
    rows = [*GOOD, ["R099", "2026-06-01 09:00", "环境卫生", "", *map(str, OUTSIDE), "", "", ""]]
    with psycopg.connect(url) as conn, pytest.raises(HotlineRejected) as caught:
        import_hotline(conn, _write(tmp_path / "outside.csv", rows))
    assert [(r, c) for r, c, _p in caught.value.problems] == [(7, "lon/lat")]
    assert _counts(url) == (0, 0)


def test_a_missing_column_is_named(url: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "short.csv", [r[:4] for r in GOOD], HEADER[:4])
    with psycopg.connect(url) as conn, pytest.raises(HotlineRejected) as caught:
        import_hotline(conn, path)
    assert {c for _r, c, _p in caught.value.problems} == {"lon", "lat"}


def test_geojson_with_english_names_through_the_cli(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(point)},
            "properties": {
                "ticket_id": ticket,
                "reported_at": "2026-06-01T09:00:00+08:00",
                "category": category,
                "description": "热线",
                "status": "closed",
                "closed_at": "2026-06-02T09:00:00+08:00",
            },
        }
        for ticket, point, category in (
            ("G1", IN_WEST_SOUTH, "暴露垃圾"),
            ("G2", IN_FAR, "Graffiti Removal"),
        )
    ]
    path = tmp_path / "hotline.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    monkeypatch.setenv("ONEMAP_DATABASE_URL", url)
    runner = CliRunner()
    done = runner.invoke(cli, ["import-events", str(path), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1])["created"] == 2
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT rtrim(grid_code), category_code FROM events ORDER BY grid_code"
        ).fetchall()
    assert rows == [(WEST_SOUTH, "0101"), (FAR_GRID, "0201")]
    features[0]["properties"]["category"] = "外星人"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    refused = runner.invoke(cli, ["import-events", str(path), "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout.splitlines()[-1])["problems"][0]["row"] == 1


def test_tracking_numbers_stay_unique_past_a_million_events(url: str, tmp_path: Path) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('events', 'event_id'), 999998)")
        import_hotline(conn, _write(tmp_path / "hotline.csv", GOOD))
        numbers = [r[0] for r in conn.execute("SELECT tracking_number FROM events").fetchall()]
    assert len(set(numbers)) == len(GOOD)
    assert max(len(n) for n in numbers) == len("SJ20260601") + 7
