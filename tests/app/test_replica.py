"""Reads from a streaming replica (docs/replica.md), on a real primary and hot standby.

A dedicated pair in a temporary directory, made as a user makes one (`onemap db start`,
`onemap db start --replica`), small: the planted district of the event tests. Which
database answered a read is told by the data: while the standby's replay is paused, a
row written on the primary is on the primary only.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from app import reads
from app.commands.migrate import upgrade
from app.main import create_app
from app.reads import WROTE_COOKIE, WROTE_HEADER, parse_lsn
from app.settings import Settings
from gis import tokens
from tests.planters.cli import onemap
from tests.planters.event_places import IN_EAST, plant, plant_event

ITEMS = "/ogc/collections/events/items?limit=1000"
INDICATORS = "/api/v1/indicators/events?group_by=source&from=2000-01-01&to=2100-01-01"
STANDARDS = "/api/v1/access/standards?scope=450105"
REPORT = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": list(IN_EAST)},
    "properties": {"category": "0101", "description": "路灯不亮"},
}


@dataclass(frozen=True)
class Pair:
    env: dict[str, str]
    primary: str  # the database, as its owner
    replica: str  # the same database on the standby, as a superuser
    started: str  # what `onemap db start --replica` said


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    state = tmp_path_factory.mktemp("replica-state")
    primary_port, replica_port = _free_port(), _free_port()
    env = {
        "ONEMAP_STATE_DIR": str(state),
        "ONEMAP_DB_PORT": str(primary_port),
        "ONEMAP_DB_REPLICA_PORT": str(replica_port),
        "ONEMAP_DATABASE_URL": "",
    }
    try:
        started = onemap("db", "start", env=env)
        assert started.returncode == 0, started.stderr
        # a cluster thrown away after the test needs no durability: its checkpoints (the
        # base backup's, the shutdown's) skip the fsyncs that take seconds on a busy disk
        with psycopg.connect(
            f"postgresql://onemap@127.0.0.1:{primary_port}/postgres", autocommit=True
        ) as conn:
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("SELECT pg_reload_conf()")
        # the standby first, while the base backup is small: the schema and the planted
        # district reach it by streaming
        standby = onemap("db", "start", "--replica", env=env)
        assert standby.returncode == 0, standby.stderr
        primary = f"postgresql://onemap@127.0.0.1:{primary_port}/onemap"
        upgrade(primary)
        plant(primary)
        replica = f"postgresql://onemap@127.0.0.1:{replica_port}/onemap"
        yield Pair(env, primary, replica, standby.stderr)
    finally:
        onemap("db", "stop", env=env)
        # as root the cluster lives where its service user can reach it (app/commands/devdb.py)
        home = state / "cluster"
        if home.is_symlink():
            shutil.rmtree(home.resolve(), ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def _replay(replica: str, *, paused: bool) -> None:
    with psycopg.connect(replica, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
        want = "paused" if paused else "not paused"
        deadline = time.monotonic() + 10
        while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != (want,):
            assert time.monotonic() < deadline, f"replay not {want}"
            time.sleep(0.01)


def _caught_up(pair: Pair, position: int | None = None) -> None:
    """Wait until the standby has replayed everything the primary has (or ``position``)."""
    if position is None:
        with psycopg.connect(pair.primary) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
            assert row is not None
            position = parse_lsn(row[0])
    assert position is not None
    with psycopg.connect(pair.replica, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while True:
            row = conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
            replayed = parse_lsn(row[0] if row else None)
            if replayed is not None and replayed >= position:
                return
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.01)


def _events_on_primary(pair: Pair) -> int:
    with psycopg.connect(pair.primary) as conn:
        row = conn.execute("SELECT count(*) FROM public_events").fetchone()
        assert row is not None
        return int(row[0])


def _plant_centre(pair: Pair) -> None:
    with psycopg.connect(pair.primary) as conn:
        conn.execute(
            "INSERT INTO service_centers (county_code, name, level, area_m2, geom)"
            " VALUES ('450105', '区党群服务中心', 'district', 800, ST_Point(108.33, 22.81, 4326))"
        )


def _seen(client: TestClient, **headers: str) -> int:
    answer = client.get(ITEMS, headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["numberMatched"])


def _indicated(client: TestClient) -> int:
    answer = client.get(INDICATORS)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"]["reported"])


def _centres(client: TestClient) -> int:
    answer = client.get(STANDARDS)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["centres"])


def test_db_start_replica_makes_a_streaming_hot_standby(pair: Pair) -> None:
    assert f"ONEMAP_READ_DATABASE_URL={pair.replica}" in pair.started
    again = onemap("db", "start", "--replica", env=pair.env)  # idempotent
    assert again.returncode == 0, again.stderr
    status = onemap("db", "status", env=pair.env)
    replica = json.loads(status.stdout)["replica"]
    assert replica["running"] is True and replica["url"] == pair.replica
    with psycopg.connect(pair.replica) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute("SHOW hot_standby").fetchone() == ("on",)
    with psycopg.connect(pair.primary) as conn:
        # streaming through its slot: the primary keeps the WAL the standby has not had
        slot = conn.execute(
            "SELECT s.active, r.state FROM pg_replication_slots AS s"
            " JOIN pg_stat_replication AS r ON r.pid = s.active_pid"
            " WHERE s.slot_name = 'onemap_replica'"
        ).fetchone()
        assert slot == (True, "streaming")
    # the standby's files belong to the user who runs the primary, never root
    state = Path(replica["data_dir"])
    primary_owner = Path(json.loads(status.stdout)["data_dir"]).owner()
    assert state.owner() == primary_owner != "root"


def test_reads_from_the_replica_writes_to_the_primary_and_the_writer_reads_its_writes(
    pair: Pair, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a standby found down is tried again after half a second, not five: the test waits less
    monkeypatch.setattr(reads, "REPLICA_RETRY_S", 0.5)
    assert onemap("db", "start", "--replica", env=pair.env).returncode == 0
    settings = Settings(
        database_url=pair.primary, read_database_url=pair.replica, pool_min_size=1, pool_max_size=4
    )
    plant_event(pair.primary)
    _caught_up(pair)
    with TestClient(create_app(settings)) as writer, TestClient(create_app(settings)) as reader:
        before = _events_on_primary(pair)
        assert _seen(reader) == before
        centres, indicated = _centres(reader), _indicated(reader)

        _replay(pair.replica, paused=True)
        try:
            # Written on the primary directly: a fresh client does not see it, in the
            # features, the indicators or an analysis: the standby answered.
            plant_event(pair.primary)
            _plant_centre(pair)
            assert _events_on_primary(pair) == before + 1
            assert _seen(reader) == before
            assert _indicated(reader) == indicated
            assert _centres(reader) == centres
            # A token made on the primary a moment ago, not on the paused standby, works at
            # once: callers are identified on the primary (which also records the token's
            # use: a standby would refuse the write). A restricted collection and a patrol
            # analysis (its one-at-a-time lock taken on the standby) answer it.
            with psycopg.connect(pair.primary) as conn:
                secret = tokens.create(conn, name="new analyst", role="auditor")
            analyst = {"Authorization": f"Bearer {secret}"}
            tracks = reader.get("/ogc/collections/patrol_tracks/items", headers=analyst)
            assert tracks.status_code == 200, tracks.text
            stale = reader.get("/api/v1/patrols/stale?days=14", headers=analyst)
            assert stale.status_code == 200, stale.text
            assert stale.json()["numberMatched"] == 4  # the planted grids, never patrolled

            # A write through the API goes to the primary (the standby is paused, and
            # read-only anyway); the writer is told where its write ended ...
            report = writer.post("/api/v1/events", json=REPORT)
            assert report.status_code == 201, report.text
            assert _events_on_primary(pair) == before + 2
            wrote = report.headers[WROTE_HEADER]
            assert writer.cookies[WROTE_COOKIE] == wrote
            cookie = report.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=60" in cookie
            # ... and reads its own write, from the primary, as long as the standby lags
            assert _seen(writer) == before + 2
            assert _indicated(writer) == indicated + 2
            assert _centres(writer) == centres + 1
            # an API client sends the position back in the header instead
            assert _seen(reader, **{WROTE_HEADER: wrote}) == before + 2
            # the others still read from the standby
            assert _seen(reader) == before
            # a forged position: garbage is ignored, a position far ahead only sends
            # that client's reads to the primary
            assert _seen(reader, **{WROTE_HEADER: "not-a-position"}) == before
            assert _seen(reader, **{WROTE_HEADER: "FFFFFFFF/FFFFFFFF"}) == before + 2
        finally:
            _replay(pair.replica, paused=False)

        # Once the standby has replayed the write, the writer's reads go back to it:
        # shown by pausing it again and writing on the primary behind its back.
        _caught_up(pair, parse_lsn(wrote))
        _replay(pair.replica, paused=True)
        try:
            plant_event(pair.primary)
            assert _events_on_primary(pair) == before + 3
            assert _seen(writer) == before + 2
            assert _seen(reader, **{WROTE_HEADER: "FFFFFFFF/FFFFFFFF"}) == before + 3
        finally:
            _replay(pair.replica, paused=False)

        # The standby down: the reads are answered by the primary, not refused.
        stopped = onemap("db", "stop", "--replica", env=pair.env)
        assert stopped.returncode == 0, stopped.stderr
        with caplog.at_level(logging.WARNING, logger="onemap.reads"):
            started = time.monotonic()
            assert _seen(reader) == before + 3
            assert _indicated(reader) == indicated + 3
            assert _centres(reader) == centres + 1
            assert time.monotonic() - started < 5
        assert "read replica unreachable" in caplog.text

        # Back up, it answers the reads again (its pools reconnect by themselves).
        assert onemap("db", "start", "--replica", env=pair.env).returncode == 0
        _caught_up(pair)
        _replay(pair.replica, paused=True)
        try:
            plant_event(pair.primary)
            deadline = time.monotonic() + 30
            while _seen(reader) != before + 3:
                assert time.monotonic() < deadline, "reads did not go back to the standby"
                time.sleep(0.2)
            assert _events_on_primary(pair) == before + 4
        finally:
            _replay(pair.replica, paused=False)

    # Dropped, the standby leaves nothing behind: no copy, no slot holding WAL.
    dropped = onemap("db", "stop", "--replica", "--drop", env=pair.env)
    assert dropped.returncode == 0, dropped.stderr
    status = json.loads(onemap("db", "status", env=pair.env).stdout)
    assert status["running"] is True and status["replica"]["initialised"] is False
    assert not Path(status["replica"]["data_dir"]).exists()
    with psycopg.connect(pair.primary) as conn:
        assert conn.execute("SELECT slot_name FROM pg_replication_slots").fetchall() == []


def test_the_service_starts_and_reads_with_its_standby_down(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = f"postgresql://onemap@127.0.0.1:{_free_port()}/onemap"
    settings = Settings(
        database_url=pair.primary, read_database_url=nobody, pool_min_size=1, pool_max_size=4
    )
    with (
        caplog.at_level(logging.WARNING, logger="onemap.reads"),
        TestClient(create_app(settings)) as client,
    ):
        started = time.monotonic()
        assert _seen(client) == _events_on_primary(pair)
        with psycopg.connect(pair.primary) as conn:
            row = conn.execute("SELECT count(*) FROM service_centers").fetchone()
        assert row is not None and _centres(client) == row[0]
        assert time.monotonic() - started < 5
    assert "read replica unreachable" in caplog.text
