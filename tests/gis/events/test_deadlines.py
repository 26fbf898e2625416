"""Deadlines and escalation (gis.events.deadlines) with an injected clock, and the
`onemap events escalate` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from gis.events import history, intake
from gis.events.deadlines import escalate_overdue
from gis.events.loop import TransitionRequest, transition
from gis.events.stages import PUBLIC, Actor
from tests.planters.cli import onemap
from tests.planters.event_places import IN_EAST, IN_FAR, IN_WEST_SOUTH, T0, planted_database, run

STAFF = Actor("staff", "值班员", token_id=1, county_code="450105")


@pytest.fixture
def url(admin_url: str, migrated_template: str) -> Iterator[str]:
    with planted_database(admin_url, migrated_template, "deadlines") as (database, _tokens):
        yield database


def _report(url: str, category: str, point) -> int:
    # 0801 消防通道堵塞 → 消防 within 24 h; 0402 乱停车 → 公安 within 4 h
    made = run(
        url,
        lambda conn: intake.create(
            conn,
            intake.Report(category=category, description="x", point=point),
            actor=PUBLIC,
            reported_at=T0,
        ),
    )
    return made.event_id


def _sweep(url: str, hours: float):
    return run(url, lambda conn: escalate_overdue(conn, now=T0 + timedelta(hours=hours)))


def _state(url: str, event_id: int) -> tuple[int, bool, str | None]:
    with psycopg.connect(url) as conn:
        level, overdue, due = conn.execute(
            "SELECT escalation_level, overdue, escalate_at FROM events WHERE event_id = %s",
            (event_id,),
        ).fetchone()  # type: ignore[misc]
    return level, overdue, due


def test_overdue_events_escalate_a_level_per_deadline(url):
    event_id = _report(url, "0801", IN_WEST_SOUTH)
    assert _state(url, event_id)[:2] == (0, False)
    assert _sweep(url, 23.9) == []
    first = _sweep(url, 24)
    assert [(e.event_id, e.from_level, e.to_level) for e in first] == [(event_id, 0, 1)]
    assert first[0].supervised_by.startswith("街道分中心")
    level, overdue, due = _state(url, event_id)
    assert (level, overdue, due) == (1, True, T0 + timedelta(hours=48))
    assert _sweep(url, 30) == []  # the same level is not escalated twice
    assert [(e.from_level, e.to_level) for e in _sweep(url, 48)] == [(1, 2)]
    assert _state(url, event_id) == (2, True, None)
    assert _sweep(url, 500) == []  # the district centre is the top
    steps = run(url, lambda conn: history.entries(conn, event_id))
    escalations = [s for s in steps if s["action"] == "escalate"]
    assert [(s["details"]["from_level"], s["details"]["to_level"]) for s in escalations] == [
        (0, 1),
        (1, 2),
    ]
    assert all(
        s["actor_role"] == "system" and s["from_status"] == s["to_status"] for s in steps[-2:]
    )
    assert escalations[0]["at"] == T0 + timedelta(hours=24)
    assert "城区中心" in escalations[1]["note"]


def test_a_late_sweep_catches_up_and_handled_events_are_left_alone(url):
    parked = _report(url, "0402", IN_EAST)  # 4 h
    handled = _report(url, "0402", IN_FAR)
    for action in ("accept", "handle"):
        run(
            url,
            lambda conn, action=action: transition(
                conn, handled, TransitionRequest(action), actor=STAFF, at=T0 + timedelta(hours=1)
            ),
        )
    done = _sweep(url, 9)  # two deadlines passed since the last sweep
    assert [(e.event_id, e.from_level, e.to_level) for e in done] == [(parked, 0, 2)]
    assert _state(url, handled) == (0, False, None)


def test_the_escalate_command(url):
    event_id = _report(url, "0402", IN_EAST)
    env = {"ONEMAP_DATABASE_URL": url}
    now = (T0 + timedelta(hours=5)).isoformat()
    result = onemap("events", "escalate", "--now", now, "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["event_id"], r["to_level"]) for r in rows] == [(event_id, 1)]
    again = onemap("events", "escalate", "--now", now, env=env)
    assert again.returncode == 0 and "0 event(s) escalated" in again.stderr
    naive = onemap("events", "escalate", "--now", "2026-06-01T09:00", env=env)
    assert naive.returncode == 2 and "UTC offset" in naive.stderr
    table = onemap("events", "transitions")
    assert "| `settle` | 就地解决 |" in table.stdout
