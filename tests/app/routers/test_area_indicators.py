"""GET /api/v1/indicators/areas on the demo district: each indicator's values per area
checked against SQL written here from the definitions (docs/indicators.md), the classes
against mapclassify and the values, patrol indicators for the analysts only, and every bad
parameter answered 400 by name."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import mapclassify
import numpy as np
import pytest

from gis.patrols import visits

URL = "/api/v1/indicators/areas"
CLOSED = "('closed', 'evaluated')"
VOID = "('rejected', 'duplicate', 'not_responsible')"
# Every building placed in the lowest-coded grid holding its point on surface, computed
# here without grid_statistics.
PLACED = """
    SELECT DISTINCT ON (b.building_code) b.building_code, b.households, b.point, g.grid_code
    FROM buildings AS b JOIN grids AS g ON ST_Contains(g.geom, b.point)
    ORDER BY b.building_code, g.grid_code
"""
PATROL_PERIOD = {"from": "2026-08-01", "to": "2026-11-01"}


def _layer(client: Any, **params: Any) -> dict[str, Any]:
    answer = client.get(URL, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _values(layer: dict[str, Any]) -> dict[str, float | None]:
    return {area["code"]: area["value"] for area in layer["areas"]}


def _ratios(rows: list[tuple[Any, ...]], scale: int, decimals: int) -> dict[str, float | None]:
    return {
        code.strip(): (round(float(part) * scale / float(whole), decimals) if whole else None)
        for code, part, whole in rows
    }


def test_closure_rate_per_community_is_closed_over_due(client, db):
    layer = _layer(client, level="community", indicator="closure_rate")
    expected = db.execute(
        f"""SELECT c.community_code,
                   count(e.*) FILTER (WHERE e.status IN {CLOSED}),
                   count(e.*) FILTER (WHERE e.status NOT IN {VOID})
            FROM communities AS c LEFT JOIN events AS e USING (community_code)
            GROUP BY c.community_code"""
    ).fetchall()
    assert _values(layer) == _ratios(expected, 1, 4)
    assert len(layer["areas"]) == 120
    indicator = layer["indicator"]
    assert indicator["name"] == "closure_rate" and indicator["title"]["zh"] == "结案率"
    assert indicator["definition"]["zh"] and indicator["definition"]["en"]
    assert indicator["unit"]["en"] == "share (0–1)"
    total = db.execute(
        f"SELECT count(*) FILTER (WHERE status IN {CLOSED}),"
        f" count(*) FILTER (WHERE status NOT IN {VOID}) FROM events WHERE grid_code IS NOT NULL"
    ).fetchone()
    assert (layer["total"]["numerator"], layer["total"]["denominator"]) == total


def test_events_per_1000_households_per_grid_with_null_where_no_households(client, db):
    start, end = "2026-03-01", "2026-09-01"
    layer = _layer(
        client, level="grid", indicator="events_per_1000_households", **{"from": start, "to": end}
    )
    expected = db.execute(
        f"""WITH placed AS ({PLACED}),
                 held AS (SELECT grid_code, sum(households) AS households
                          FROM placed GROUP BY grid_code)
            SELECT g.grid_code,
                   (SELECT count(*) FROM events AS e
                    WHERE e.grid_code = g.grid_code AND e.status NOT IN {VOID}
                      AND e.reported_at >= %(start)s::date::timestamp AT TIME ZONE 'Asia/Shanghai'
                      AND e.reported_at < %(end)s::date::timestamp AT TIME ZONE 'Asia/Shanghai'),
                   coalesce(h.households, 0)
            FROM grids AS g LEFT JOIN held AS h USING (grid_code)""",
        {"start": start, "end": end},
    ).fetchall()
    values = _values(layer)
    assert values == _ratios(expected, 1000, 2)
    empty = [code for code, _events, households in expected if households == 0]
    assert empty, "the demo has grids without households"
    by_code = {area["code"]: area for area in layer["areas"]}
    assert all(by_code[code.strip()]["value"] is None for code in empty)
    assert all(by_code[code.strip()]["class"] is None for code in empty)
    assert layer["from"] == "2026-03-01T00:00:00+08:00"


def test_on_time_closure_and_overdue_share_agree_with_the_event_indicators(client):
    loop = client.get("/api/v1/indicators/events", params={"group_by": "subdistrict"}).json()
    groups = {group["key"]: group for group in loop["groups"] if group["key"]}
    on_time = _values(_layer(client, level="subdistrict", indicator="on_time_closure_rate"))
    overdue = _values(_layer(client, level="subdistrict", indicator="overdue_share"))
    assert on_time == {code: group["on_time_closure_rate"] for code, group in groups.items()}
    assert overdue == {
        code: round(group["overdue"] / group["due"], 4) for code, group in groups.items()
    }


def test_mean_rating_per_subdistrict(client, db):
    layer = _layer(client, level="subdistrict", indicator="mean_rating", to="2026-07-01")
    expected = db.execute(
        """SELECT s.subdistrict_code, sum(e.rating), count(e.rating)
           FROM subdistricts AS s LEFT JOIN events AS e
             ON e.subdistrict_code = s.subdistrict_code
            AND e.reported_at < '2026-07-01T00:00:00+08:00'
           GROUP BY s.subdistrict_code"""
    ).fetchall()
    assert _values(layer) == _ratios(expected, 1, 2)
    assert all(1 <= value <= 5 for value in _values(layer).values() if value is not None)


def test_households_per_member_and_15_minute_coverage_per_subdistrict(client, db):
    staffing = _layer(client, level="subdistrict", indicator="households_per_member")
    coverage = _layer(client, level="subdistrict", indicator="service_coverage_15")
    rows = db.execute(
        f"""WITH placed AS ({PLACED}),
                 covered AS (SELECT DISTINCT p.building_code FROM placed AS p
                             JOIN service_areas AS a
                               ON a.minutes = 15 AND ST_Intersects(a.geom, p.point))
            SELECT s.subdistrict_code,
                   (SELECT sum(members) FROM grids
                    WHERE left(grid_code, 9) = s.subdistrict_code),
                   (SELECT coalesce(sum(households), 0) FROM placed
                    WHERE left(grid_code, 9) = s.subdistrict_code),
                   (SELECT coalesce(sum(households), 0) FROM placed JOIN covered
                    USING (building_code) WHERE left(grid_code, 9) = s.subdistrict_code)
            FROM subdistricts AS s"""
    ).fetchall()
    assert _values(staffing) == _ratios(
        [(code, households, members) for code, members, households, _ in rows], 1, 1
    )
    assert _values(coverage) == _ratios(
        [(code, covered, households) for code, _, households, covered in rows], 1, 4
    )
    assert coverage["total"]["denominator"] == sum(row[2] for row in rows)
    assert 0 < coverage["total"]["value"] < 1
    # the figure of the present: the period does not apply
    assert coverage["from"] is None and coverage["to"] is None


def test_patrol_indicators_match_the_patrol_coverage_report(client, db, analyst):
    params = {"level": "community", **PATROL_PERIOD}
    ground = client.get(URL, params={**params, "indicator": "patrol_coverage"}, headers=analyst)
    standard = client.get(URL, params={**params, "indicator": "patrol_standard"}, headers=analyst)
    assert ground.status_code == 200, ground.text
    assert standard.status_code == 200, standard.text
    report = visits.coverage_report(
        db,
        start=datetime.fromisoformat("2026-08-01T00:00:00+08:00"),
        end=datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
        group_by="community",
    )
    meeting = {group.code: (group.grids_meeting, group.grids) for group in report.groups}
    patrolled = {
        group.code: (group.ground.buildings_patrolled, group.ground.buildings)
        for group in report.groups
        if group.ground
    }
    by_code = {area["code"]: area for area in standard.json()["areas"]}
    assert {
        code: (area["numerator"], area["denominator"])
        for code, area in by_code.items()
        if area["denominator"]
    } == meeting
    reached = {
        area["code"]: (area["numerator"], area["denominator"])
        for area in ground.json()["areas"]
        if area["denominator"]
    }
    assert reached == {code: pair for code, pair in patrolled.items() if pair[1]}
    assert 0 < ground.json()["total"]["value"] < 1
    assert ground.json()["to"] == "2026-11-01T00:00:00+08:00"


@pytest.mark.parametrize("indicator", ["patrol_coverage", "patrol_standard"])
def test_patrol_indicators_are_for_analysts(client, indicator):
    answer = client.get(URL, params={"level": "grid", "indicator": indicator})
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks"])
def test_classes_are_mapclassifys_and_hold_their_values(client, method):
    layer = _layer(
        client, level="grid", indicator="events_per_1000_households", method=method, classes=4
    )
    values = np.array([a["value"] for a in layer["areas"] if a["value"] is not None])
    expected = (mapclassify.Quantiles if method == "quantiles" else mapclassify.FisherJenks)(
        values, k=4
    )
    classes = layer["classes"]
    # bounds cut down to the values' 2 places
    cut = [math.floor(round(float(b) * 100, 6)) / 100 for b in expected.bins]
    assert [c["upper"] for c in classes] == cut
    assert [c["count"] for c in classes] == [int(n) for n in expected.counts]
    assert classes[0]["lower"] == float(values.min())
    for area in layer["areas"]:
        if area["value"] is None:
            continue
        found = classes[area["class"]]
        assert area["value"] <= found["upper"]
        if area["class"] > 0:
            assert area["value"] > classes[area["class"] - 1]["upper"]
    assert sum(c["count"] for c in classes) == len(values)
    assert layer["method"] == method


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"indicator": "closure_rate"}, "level"),
        ({"level": "street", "indicator": "closure_rate"}, "level"),
        ({"level": "grid"}, "indicator"),
        ({"level": "grid", "indicator": "happiness"}, "indicator"),
        ({"level": "grid", "indicator": "closure_rate", "classes": "12"}, "classes"),
        ({"level": "grid", "indicator": "closure_rate", "classes": "five"}, "classes"),
        ({"level": "grid", "indicator": "closure_rate", "method": "equal"}, "method"),
        ({"level": "grid", "indicator": "closure_rate", "from": "last week"}, "from"),
        (
            {
                "level": "grid",
                "indicator": "closure_rate",
                "from": "2026-06-02",
                "to": "2026-06-01",
            },
            "to",
        ),
        ({"level": "grid", "indicator": "closure_rate", "scope": "450105"}, "scope"),
    ],
)
def test_bad_parameters_answer_400_naming_them(client, params, parameter):
    answer = client.get(URL, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["description"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "1970-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-10-01", "to": "2026-09-01"}, "to"),
    ],
)
def test_a_patrol_period_out_of_range_answers_400(client, analyst, params, parameter):
    answer = client.get(
        URL, params={"level": "grid", "indicator": "patrol_standard", **params}, headers=analyst
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["description"].startswith(f"{parameter}:")
