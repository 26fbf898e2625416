"""The closed loop (gis.events.loop): every legal transition of the table, every illegal
one refused with nothing changed, the roles, grids, counties and reporter keys checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from gis.events import history
from gis.events.errors import IllegalTransition, InvalidEvent, NotAllowed
from gis.events.loop import TransitionRequest, transition
from gis.events.stages import (
    BY_ACTION,
    REPORTER,
    STATUSES,
    TRANSITIONS,
    Actor,
    allowed_actions,
    markdown_table,
)
from tests.planters.event_places import (
    EAST_GRID,
    IN_EAST,
    T0,
    WEST_SOUTH,
    plant_event,
    planted_database,
    run,
    snapshot,
)

STAFF = Actor("staff", "指挥中心值班员", token_id=1, county_code="450105")
MEMBER = Actor("grid_member", "网格员甲", token_id=2, county_code="450105", grids=(WEST_SOUTH,))
OTHER_MEMBER = Actor(
    "grid_member", "网格员乙", token_id=3, county_code="450105", grids=(EAST_GRID,)
)
FOREIGN_STAFF = Actor("staff", "other county", token_id=4, county_code="450103")
HANDLER = Actor(
    "department", "城管局", token_id=5, county_code="450105", department_code="chengguan"
)
OTHER_HANDLER = Actor(
    "department", "水务局", token_id=6, county_code="450105", department_code="shuiwu"
)

LEGAL = [(t.action, source) for t in TRANSITIONS for source in t.sources]
ILLEGAL = [
    (t.action, status) for t in TRANSITIONS for status in STATUSES if status not in t.sources
]


@pytest.fixture(scope="module")
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "loop") as (database, _tokens):
        yield database


def _actor_for(action: str) -> Actor:
    return STAFF if "staff" in BY_ACTION[action].roles else MEMBER


def _request(url: str, action: str) -> TransitionRequest:
    if action == "evaluate":
        return TransitionRequest(action, note="满意", rating=4)
    if action == "merge":
        return TransitionRequest(action, duplicate_of=plant_event(url, status="in_progress"))
    return TransitionRequest(action, note=f"test {action}")


def _act(url: str, event_id: int, request: TransitionRequest, actor: Actor, **kw):
    return run(url, lambda conn: transition(conn, event_id, request, actor=actor, **kw))


def _row(url: str, event_id: int) -> dict:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT to_jsonb(e) FROM events e WHERE event_id = %s", (event_id,)
        ).fetchone()
        assert row is not None
        return row[0]


def _history(url: str, event_id: int) -> list[dict]:
    return run(url, lambda conn: history.entries(conn, event_id))


def test_every_status_has_a_way_forward_or_is_final():
    final = {"evaluated", "rejected", "duplicate", "not_responsible"}
    for status in STATUSES:
        assert bool(allowed_actions(status)) or status in final, status
    # evaluated can still be reworked; the others end the loop
    assert allowed_actions("evaluated") == ["rework"]
    assert markdown_table().count("\n") == len(TRANSITIONS) + 1


def test_the_manual_shows_the_table_the_code_uses():
    from pathlib import Path

    manual = Path(__file__).resolve().parents[3].joinpath("docs", "events.md").read_text("utf-8")
    assert markdown_table() in manual, "regenerate with: python -m gis.events.stages"


@pytest.mark.parametrize(("action", "source"), LEGAL, ids=[f"{a}-from-{s}" for a, s in LEGAL])
def test_every_legal_transition(url, action, source):
    event_id = plant_event(url, status=source, grid=WEST_SOUTH)
    before = len(_history(url, event_id))
    actor = _actor_for(action)
    result = _act(url, event_id, _request(url, action), actor)
    target = BY_ACTION[action].target
    assert (result["from_status"], result["to_status"]) == (source, target)
    row = _row(url, event_id)
    assert row["status"] == target
    steps = _history(url, event_id)
    assert len(steps) == before + 1
    step = steps[-1]
    assert (step["action"], step["from_status"], step["to_status"]) == (action, source, target)
    assert (step["actor"], step["actor_role"], step["token_id"]) == (
        actor.name,
        actor.role,
        actor.token_id,
    )
    assert step["at"] is not None and step["history_id"] == result["history_id"]
    if action == "dispatch":
        assert row["assignee_kind"] == "department" and row["deadline_hours"] == 48
        assert step["details"]["department"] == "chengguan"  # 01 市容环境 → 城管
    if action in ("handle", "settle"):
        assert row["handled_at"] is not None
    if action in ("close", "settle"):
        assert row["closed_at"] is not None
    if action == "rework":
        assert row["rework_count"] == 1 and row["closed_at"] is None and row["rating"] is None
    if action == "evaluate":
        assert row["rating"] == 4 and step["details"] == {"rating": 4}
    if action == "merge":
        assert row["duplicate_of"] == step["details"]["duplicate_of"]
    if action == "return":
        assert row["assignee_kind"] is None


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a}-from-{s}" for a, s in ILLEGAL])
def test_every_illegal_transition_is_refused_and_changes_nothing(url, action, status):
    event_id = plant_event(url, status=status, grid=WEST_SOUTH)
    request = _request(url, action)
    before = snapshot(url, event_id)
    with pytest.raises(IllegalTransition) as refused:
        _act(url, event_id, request, _actor_for(action))
    assert refused.value.status == status
    assert refused.value.allowed == allowed_actions(status, _actor_for(action).role)
    assert f"it is {status}" in str(refused.value)
    assert snapshot(url, event_id) == before


def test_a_stale_expected_status_is_a_conflict(url):
    event_id = plant_event(url, status="handled")
    before = snapshot(url, event_id)
    with pytest.raises(IllegalTransition, match="someone acted first"):
        _act(url, event_id, TransitionRequest("close", expected_status="in_progress"), STAFF)
    assert snapshot(url, event_id) == before
    _act(url, event_id, TransitionRequest("close", expected_status="handled"), STAFF)
    assert _row(url, event_id)["status"] == "closed"


def test_roles_grids_and_counties_are_checked(url):
    dispatched_to_grid = plant_event(url, status="dispatched", assignee="grid")
    before = snapshot(url, dispatched_to_grid)
    refusals = [
        (TransitionRequest("file"), MEMBER, "needs the role admin or staff"),
        (TransitionRequest("settle"), STAFF, "needs the role grid_member"),
        (TransitionRequest("accept"), OTHER_MEMBER, "own grid"),
        (TransitionRequest("accept"), FOREIGN_STAFF, "the token is for 450103"),
        (TransitionRequest("accept"), Actor("auditor", "审计"), "needs the role"),
        (TransitionRequest("accept"), Actor("open311", "partner"), "needs the role"),
        (TransitionRequest("accept"), Actor("public", "public"), "needs the role"),
    ]
    for request, actor, message in refusals:
        with pytest.raises(NotAllowed, match=message):
            _act(url, dispatched_to_grid, request, actor)
    assert snapshot(url, dispatched_to_grid) == before
    # a task dispatched to a department is that department's, not the grid member's
    to_department = plant_event(url, status="dispatched", assignee="department")
    with pytest.raises(NotAllowed, match="not to the grid"):
        _act(url, to_department, TransitionRequest("accept"), MEMBER)
    # ... nor may the member settle it: a grid member settles only what is the grid's
    with pytest.raises(NotAllowed, match="settles only what is the grid's"):
        _act(url, to_department, TransitionRequest("settle", note="已劝离"), MEMBER)
    # the department's handler takes it; another department's handler may not
    with pytest.raises(NotAllowed, match="acts only on shuiwu's tasks"):
        _act(url, to_department, TransitionRequest("accept"), OTHER_HANDLER)
    with pytest.raises(NotAllowed, match="acts only on chengguan's tasks"):
        _act(url, dispatched_to_grid, TransitionRequest("accept"), HANDLER)
    _act(url, to_department, TransitionRequest("accept"), HANDLER)
    assert _row(url, to_department)["status"] == "in_progress"
    # an easy matter not yet dispatched the member settles on the spot
    reported = plant_event(url, status="reported")
    _act(url, reported, TransitionRequest("settle", note="已劝离"), MEMBER)
    assert _row(url, reported)["status"] == "closed"
    _act(url, dispatched_to_grid, TransitionRequest("accept"), MEMBER)
    _act(url, dispatched_to_grid, TransitionRequest("handle", note="已调解"), MEMBER)
    assert _row(url, dispatched_to_grid)["status"] == "handled"


def test_the_reporter_rates_with_the_reporter_key(url):
    import hashlib

    key = "rk_the-reporters-secret"
    event_id = plant_event(
        url, status="closed", reporter_key_sha256=hashlib.sha256(key.encode()).hexdigest()
    )
    before = snapshot(url, event_id)
    with pytest.raises(NotAllowed, match="reporter key"):
        _act(url, event_id, TransitionRequest("evaluate", rating=5), REPORTER, reporter_key="x")
    with pytest.raises(NotAllowed, match="needs the role"):
        _act(url, event_id, TransitionRequest("close"), REPORTER, reporter_key=key)
    assert snapshot(url, event_id) == before
    _act(url, event_id, TransitionRequest("evaluate", rating=5), REPORTER, reporter_key=key)
    row = _row(url, event_id)
    assert (row["status"], row["rating"]) == ("evaluated", 5)
    assert _history(url, event_id)[-1]["actor_role"] == "reporter"


def test_members_belong_to_their_action(url):
    event_id = plant_event(url, status="closed")
    before = snapshot(url, event_id)
    bad = [
        (TransitionRequest("evaluate"), "rating"),
        (TransitionRequest("evaluate", rating=6), "rating"),
        (TransitionRequest("evaluate", rating=True), "rating"),  # type: ignore[arg-type]
        (TransitionRequest("rework", rating=3), "goes with evaluate"),
        (TransitionRequest("close", department="chengguan"), "goes with dispatch"),
        (TransitionRequest("fly"), "unknown 'fly'"),
        (TransitionRequest("rework", note="x" * 2001), "at most 2000"),
    ]
    for request, message in bad:
        with pytest.raises(InvalidEvent, match=message):
            _act(url, event_id, request, STAFF)
    assert snapshot(url, event_id) == before


def test_dispatch_to_a_named_department_or_the_grid(url):
    event_id = plant_event(url, status="filed", category="0402")  # 乱停车: rule → 公安, 4 h
    with pytest.raises(InvalidEvent, match="no department 'nasa'"):
        _act(url, event_id, TransitionRequest("dispatch", department="nasa"), STAFF)
    at = T0 + timedelta(hours=1)
    run(
        url,
        lambda conn: transition(
            conn,
            event_id,
            TransitionRequest("dispatch", department="chengguan", deadline_hours=12),
            actor=STAFF,
            at=at,
        ),
    )
    row = _row(url, event_id)
    assert row["assignee_kind"] == "department" and row["deadline_hours"] == 12
    step = _history(url, event_id)[-1]
    assert step["details"]["department"] == "chengguan" and step["details"]["rule"] is None
    assert step["at"] == at
    # returned by the department, then sent to the grid with the rule's deadline
    _act(url, event_id, TransitionRequest("return", note="不属本部门"), STAFF)
    _act(url, event_id, TransitionRequest("dispatch", department="grid"), STAFF)
    row = _row(url, event_id)
    assert (row["assignee_kind"], row["department_id"], row["deadline_hours"]) == ("grid", None, 4)


def test_merge_follows_to_the_original_and_refuses_itself(url):
    original = plant_event(url, status="in_progress", point=IN_EAST, grid=EAST_GRID)
    merged = plant_event(url, status="duplicate", duplicate_of=original)
    third = plant_event(url, status="filed")
    with pytest.raises(InvalidEvent, match="cannot duplicate itself"):
        _act(url, third, TransitionRequest("merge", duplicate_of=third), STAFF)
    with pytest.raises(InvalidEvent, match="name the event"):
        _act(url, third, TransitionRequest("merge"), STAFF)
    _act(url, third, TransitionRequest("merge", duplicate_of=merged), STAFF)
    assert _row(url, third)["duplicate_of"] == original


def test_rework_after_the_deadline_escalates_again_and_late_handling_is_overdue(url):
    event_id = plant_event(url, status="in_progress")  # deadline T0 + 24 h
    late = T0 + timedelta(hours=30)
    run(
        url,
        lambda conn: transition(conn, event_id, TransitionRequest("handle"), actor=STAFF, at=late),
    )
    row = _row(url, event_id)
    assert row["overdue"] is True and row["escalate_at"] is None
    _act(url, event_id, TransitionRequest("rework", note="未修好"), STAFF)
    row = _row(url, event_id)
    assert row["status"] == "in_progress" and row["escalate_at"] is not None


def test_the_history_is_append_only(url):
    event_id = plant_event(url, status="handled")
    _act(url, event_id, TransitionRequest("close"), STAFF)
    with psycopg.connect(url) as conn:
        for statement in (
            "UPDATE event_history SET note = 'rewritten' WHERE event_id = %s",
            "DELETE FROM event_history WHERE event_id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement, (event_id,))
            conn.rollback()
    assert len(_history(url, event_id)) == 1
