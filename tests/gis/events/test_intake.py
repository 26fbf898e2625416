"""Intake (gis.events.intake): placement, dispatch on submit by the most specific rule,
likely duplicates, idempotency under concurrency, and the NOTIFY per transition."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from gis.events import dispatch, history, intake
from gis.events.errors import IdempotencyKeyReused, InvalidEvent, NotAllowed
from gis.events.loop import TransitionRequest, transition
from gis.events.stages import PUBLIC, SYSTEM, Actor
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
    SUB_A,
    T0,
    WEST,
    WEST_NORTH,
    WEST_SOUTH,
    plant_event,
    planted_database,
    run,
)

STAFF = Actor("staff", "值班员", token_id=1, county_code="450105")


@pytest.fixture(scope="module")
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "intake") as (database, _tokens):
        with psycopg.connect(database) as conn:
            # Local rules on top of the seeded county-wide ones (03 → 住建 72 h, 0301 →
            # 生态环境 24 h, 0302 → 城管 120 h).
            conn.execute(
                """
                INSERT INTO dispatch_rules (county_code, category_code, area_code,
                                            assignee_kind, department_id, deadline_hours)
                SELECT '450105', rule.category, rule.area, rule.kind, d.department_id, rule.hours
                FROM (VALUES ('03', %(sub)s, 'department', 'gongan', 10),
                             ('03', %(east)s, 'grid', NULL, 5),
                             ('0301', %(sub)s, 'department', 'shichang', 7),
                             ('0301', %(west)s, 'department', 'sifa', 3))
                     AS rule (category, area, kind, department, hours)
                LEFT JOIN departments d ON d.department_code = rule.department
                """,
                {"sub": SUB_A, "east": EAST, "west": WEST},
            )
        yield database


def report(category: str, point, **kw) -> intake.Report:
    return intake.Report(category=category, description="测试", point=point, **kw)


def create(url: str, rep: intake.Report, actor: Actor = PUBLIC, **kw) -> intake.Created:
    return run(url, lambda conn: intake.create(conn, rep, actor=actor, **kw))


def row(url: str, event_id: int) -> dict:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT to_jsonb(e) - 'geom' || jsonb_build_object('department',"
            " (SELECT department_code FROM departments d WHERE d.department_id = e.department_id))"
            " FROM events e WHERE event_id = %s",
            (event_id,),
        ).fetchone()
        assert found is not None
        return found[0]


def count_events(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("category", "point", "assignee", "hours", "why"),
    [
        ("0301", IN_WEST_SOUTH, "sifa", 3, "subclass × community"),
        ("0301", IN_EAST, "shichang", 7, "subclass × subdistrict beats class × community"),
        ("0301", IN_FAR, "shengtai", 24, "subclass × county"),
        ("0302", IN_EAST, "chengguan", 120, "subclass × county beats class × community"),
        ("03", IN_EAST, "grid", 5, "class × community"),
        ("03", IN_WEST_NORTH, "gongan", 10, "class × subdistrict"),
        ("03", IN_FAR, "zhujian", 72, "class × county"),
        ("0503", IN_FAR, "xiaofang", 1, "seeded: fire → fire and rescue within 1 h"),
        ("0701", IN_FAR, "grid", 72, "seeded: disputes → the grid"),
    ],
)
def test_dispatch_on_submit_by_the_most_specific_rule(url, category, point, assignee, hours, why):
    reported = T0 + timedelta(days=30)  # far from other tests' reports: no duplicates
    created = create(url, report(category, point), reported_at=reported)
    event = row(url, created.event_id)
    assert event["status"] == "dispatched", why
    assert (event["department"] or event["assignee_kind"]) == assignee, why
    assert event["deadline_hours"] == hours
    deadline = created.response["properties"]["deadline_at"]
    assert event["deadline_at"] == deadline
    steps = run(url, lambda conn: history.entries(conn, created.event_id))
    assert [s["action"] for s in steps] == ["report", "file", "dispatch"]
    assert {s["at"] for s in steps} == {reported}
    assert steps[0]["actor_role"] == "public" and steps[2]["actor_role"] == "system"
    assert steps[2]["details"]["deadline_at"].startswith(
        (reported + timedelta(hours=hours)).astimezone(steps[2]["at"].tzinfo).isoformat()[:16]
    )


def test_placement_in_grid_community_subdistrict_and_the_gap(url):
    late = T0 + timedelta(days=40)
    placed = row(url, create(url, report("1001", IN_WEST_NORTH), reported_at=late).event_id)
    assert (placed["grid_code"], placed["community_code"], placed["subdistrict_code"]) == (
        WEST_NORTH,
        WEST,
        SUB_A,
    )
    assert placed["tracking_number"].startswith("SJ20260711")
    # In the gap no grid holds the point: community and subdistrict still come from theirs,
    # and the grid rule of 10 为老服务 cannot apply, so it waits for staff.
    gap = create(url, report("1001", IN_GAP), reported_at=late)
    event = row(url, gap.event_id)
    assert (event["grid_code"], event["community_code"], event["status"]) == (None, EAST, "filed")
    steps = run(url, lambda conn: history.entries(conn, gap.event_id))
    assert "no dispatch rule" in steps[-1]["note"]


def test_addresses_place_a_report_without_a_point(url):
    late = T0 + timedelta(days=50)
    by_compound = create(
        url,
        intake.Report(category="0902", description="门禁坏", address="江南区东葛社区幸福小区3栋"),
        reported_at=late,
    )
    event = row(url, by_compound.event_id)
    assert (event["location_source"], event["grid_code"]) == ("address", EAST_GRID)
    # 铁路宿舍 is in two communities: the village name settles which
    in_village = create(
        url,
        intake.Report(category="0902", description="x", address="平丹村铁路宿舍"),
        reported_at=late + timedelta(days=5),
    )
    assert row(url, in_village.event_id)["grid_code"] == FAR_GRID
    before = count_events(url)
    for address in ("铁路宿舍2栋", "北京市朝阳区"):
        with pytest.raises(InvalidEvent, match="unambiguously"):
            create(url, intake.Report(category="0902", description="x", address=address))
    with pytest.raises(InvalidEvent, match="no location"):
        create(url, intake.Report(category="0902", description="x"))
    assert count_events(url) == before


def test_refusals_store_nothing(url):
    before = count_events(url)
    with pytest.raises(InvalidEvent, match="outside the district") as outside:
        create(url, report("0101", OUTSIDE))
    assert "江南区 (450105)" in str(outside.value)
    with pytest.raises(InvalidEvent, match="unknown category '9999'") as unknown:
        create(url, report("9999", IN_EAST))
    assert "0901 电梯故障" in str(unknown.value)
    assert len(unknown.value.details()["valid_categories"]) == 36
    with pytest.raises(NotAllowed, match="not open to a report without a token"):
        create(url, report("0101", IN_EAST, source="hotline_12345"))
    with pytest.raises(NotAllowed, match="auditor"):
        create(url, report("0101", IN_EAST), actor=Actor("auditor", "a", 9, "450105"))
    with pytest.raises(NotAllowed, match="token is for 450103"):
        create(url, report("0101", IN_EAST, source="video"), actor=Actor("staff", "x", 9, "450103"))
    with pytest.raises(InvalidEvent, match="required from staff"):
        create(url, report("0101", IN_EAST), actor=STAFF)
    # reports built in Python (Open311, imports) are checked like parsed ones
    with pytest.raises(InvalidEvent, match="reporter_phone"):
        create(url, report("0101", IN_EAST, reporter_phone="call me maybe"))
    with pytest.raises(InvalidEvent, match="description"):
        create(url, intake.Report(category="0101", description=" ", point=IN_EAST))
    with pytest.raises(InvalidEvent, match="longitude/latitude"):
        create(url, report("0101", (float("nan"), 22.8)))
    assert count_events(url) == before
    # the category may be given by its Chinese name
    named = create(url, report("电梯故障", IN_FAR), reported_at=T0 + timedelta(days=90))
    assert row(url, named.event_id)["category_code"] == "0901"


def _offset(url: str, point, metres: float, azimuth_deg: float = 90.0) -> tuple[float, float]:
    """The point ``metres`` away on the spheroid (PostGIS ST_Project)."""
    with psycopg.connect(url) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p::geometry), ST_Y(p::geometry) FROM ST_Project("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, radians(%s)) AS p",
            (point[0], point[1], metres, azimuth_deg),
        ).fetchone()  # type: ignore[misc]
    return lon, lat


def test_likely_duplicates_within_50_m_and_72_h_of_an_open_event(url):
    base_time = T0 + timedelta(days=120)

    def at(origin, category, metres, hours, azimuth=90.0):
        point = _offset(url, origin, metres, azimuth)
        made = create(url, report(category, point), reported_at=base_time + timedelta(hours=hours))
        return row(url, made.event_id), made

    origin = (108.3150, 22.8150)
    first = create(url, report("0101", origin), reported_at=base_time)
    assert row(url, first.event_id)["status"] == "dispatched"
    inside, made = at(origin, "0101", 45, 10)
    assert (inside["duplicate_of"], inside["status"]) == (first.event_id, "filed")
    assert inside["assignee_kind"] is None and inside["deadline_at"] is None
    link = made.response["properties"]["duplicate_of"]
    tracking_number = first.response["properties"]["tracking_number"]
    assert link == {"id": first.event_id, "tracking_number": tracking_number}
    steps = run(url, lambda conn: history.entries(conn, made.event_id))
    assert steps[-1]["details"]["likely_duplicate_of"] == first.event_id
    assert 44 < steps[-1]["details"]["metres"] < 46
    # a third report gathers on the first one, not on the held duplicate
    third, _ = at(origin, "0101", 30, 71.5, azimuth=270)
    assert third["duplicate_of"] == first.event_id
    # each refusal around its own first report, 300 m apart, so they cannot match each other
    for step, (category, metres, hours, why) in enumerate(
        (
            ("0101", 55, 10, "outside 50 m"),
            ("0101", 10, 72.5, "outside 72 h"),
            ("0102", 10, 10, "another category"),
        ),
        start=1,
    ):
        elsewhere = _offset(url, origin, 300 * step, 180)
        create(url, report("0101", elsewhere), reported_at=base_time)
        event, _ = at(elsewhere, category, metres, hours, azimuth=0)
        assert event["duplicate_of"] is None and event["status"] == "dispatched", why


def test_closed_events_are_not_matched_and_staff_merge_or_dispatch(url):
    when = T0 + timedelta(days=150)
    spot = (108.3550, 22.8250)
    plant_event(url, status="closed", category="0102", point=spot, grid=FAR_GRID, reported_at=when)
    fresh = create(url, report("0102", spot), reported_at=when + timedelta(hours=1))
    assert row(url, fresh.event_id)["duplicate_of"] is None
    held = create(url, report("0102", spot), reported_at=when + timedelta(hours=2))
    assert row(url, held.event_id)["duplicate_of"] == fresh.event_id
    # staff merge it into the event it was linked to
    run(url, lambda c: transition(c, held.event_id, TransitionRequest("merge"), actor=STAFF))
    assert row(url, held.event_id)["status"] == "duplicate"
    # another one turns out to be distinct: dispatching it drops the link
    other = create(url, report("0102", spot), reported_at=when + timedelta(hours=3))
    assert row(url, other.event_id)["duplicate_of"] == fresh.event_id
    run(url, lambda c: transition(c, other.event_id, TransitionRequest("dispatch"), actor=STAFF))
    event = row(url, other.event_id)
    assert (event["status"], event["duplicate_of"]) == ("dispatched", None)
    steps = run(url, lambda conn: history.entries(conn, other.event_id))
    assert steps[-1]["details"]["not_duplicate_of"] == fresh.event_id


def test_the_duplicate_search_uses_the_geography_index(scratch_database):
    from tests.planters.event_places import plant

    plant(scratch_database)
    with psycopg.connect(scratch_database) as conn:
        # a year of reports of one category across the district, as the planner sees it
        conn.execute(
            """
            INSERT INTO events (tracking_number, county_code, category_code, source, status,
                                reported_at, geom)
            SELECT 'SJ' || (20000000000 + i), '450105', '0101', 'qr', 'filed',
                   %s::timestamptz - make_interval(hours => i %% 8760),
                   ST_SetSRID(ST_MakePoint(108.30 + random() * 0.08,
                                           22.80 + random() * 0.04), 4326)
            FROM generate_series(1, 20000) AS i
            """,
            (T0,),
        )
        conn.execute("ANALYZE events")
        event_id = conn.execute("SELECT max(event_id) FROM events").fetchone()[0]  # type: ignore[index]
        plan = conn.execute(
            "EXPLAIN SELECT * FROM events AS new, event_likely_duplicate(new.county_code,"
            " new.category_code, new.geom, new.reported_at, %(metres)s, %(hours)s, %(open)s,"
            " new.event_id) AS d WHERE new.event_id = %(event_id)s",
            {"event_id": event_id, "metres": 50, "hours": 72, "open": ["filed"]},
        ).fetchall()
    assert "events_geog_idx" in "\n".join(line[0] for line in plan)


def test_a_long_statement_notifies_in_parts_under_the_payload_limit(url):
    made = create(url, report("0601", IN_FAR))
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {history.CHANNEL}")
        with psycopg.connect(url) as writer:
            # 40 rows in one statement (what a sweep escalating many events appends)
            writer.execute(
                "INSERT INTO event_history (event_id, county_code, action, from_status,"
                " to_status, actor, actor_role, at)"
                " SELECT %s, '450105', 'escalate', 'dispatched', 'dispatched', 'system',"
                " 'system', now() FROM generate_series(1, 40)",
                (made.event_id,),
            )
        received = list(listener.notifies(timeout=2.0))
    parts = [json.loads(n.payload) for n in received]
    assert [len(part) for part in parts] == [15, 15, 10]
    assert all(len(n.payload.encode()) < 8000 for n in received)
    ids = [summary["history_id"] for part in parts for summary in part]
    assert ids == sorted(ids) and len(set(ids)) == 40


def test_one_event_for_concurrent_requests_with_one_key(url):
    rep = report("0601", IN_FAR)
    before = count_events(url)

    async def both() -> list[intake.Created]:
        async def one() -> intake.Created:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                return await intake.create(conn, rep, actor=PUBLIC, idempotency_key="same-key")

        return list(await asyncio.gather(one(), one(), one()))

    answers = asyncio.run(both())
    assert count_events(url) == before + 1
    assert sorted(a.replayed for a in answers) == [False, True, True]
    assert all(a.response == answers[0].response for a in answers)
    # another phone's report under the same key is a report of its own: anonymous keys
    # are scoped by their request, so nobody is refused or answered with another's key
    other_phone = create(url, report("0602", IN_FAR), idempotency_key="same-key")
    assert not other_phone.replayed and other_phone.event_id != answers[0].event_id
    # a token's holder reusing a key for another report is refused and stores nothing
    create(url, report("0601", IN_FAR, source="video"), STAFF, idempotency_key="staff-key")
    with pytest.raises(IdempotencyKeyReused):
        create(url, report("0602", IN_FAR, source="video"), STAFF, idempotency_key="staff-key")
    # keys are per caller: the system's "same-key" is another key
    made = create(url, report("0601", IN_FAR, source="video"), SYSTEM, idempotency_key="same-key")
    assert not made.replayed
    assert count_events(url) == before + 4


def test_every_transition_notifies_the_live_channel_on_commit(url):
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {history.CHANNEL}")
        secret = "13912345678"
        made = create(
            url,
            report("0402", IN_WEST_SOUTH, reporter_phone=secret, reporter_name="李四"),
            reported_at=T0 + timedelta(days=200),
        )
        # a transaction that rolls back notifies nothing
        with pytest.raises(InvalidEvent):
            create(url, report("0402", OUTSIDE))
        received = list(listener.notifies(timeout=2.0))
    # one notification for the statement that appended the three steps
    assert len(received) == 1
    payloads = json.loads(received[0].payload)
    assert [p["action"] for p in payloads] == ["report", "file", "dispatch"]
    assert {p["event_id"] for p in payloads} == {made.event_id}
    assert payloads[-1]["to_status"] == "dispatched"
    assert payloads[-1]["grid_code"] == WEST_SOUTH
    assert all(secret not in n.payload and "李四" not in n.payload for n in received)


def test_rules_may_be_looked_up_for_a_stored_event(url):
    event_id = plant_event(url, status="filed", category="0902", point=IN_EAST, grid=EAST_GRID)
    rule = run(url, lambda conn: dispatch.matching_rule(conn, event_id))
    assert rule is not None and rule.department_code == "wuye" and rule.deadline_hours == 48
    assert rule.rule_area == "450105" and rule.rule_category == "09"
