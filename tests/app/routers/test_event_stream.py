"""The live feed over two real server processes on one database: a report made through
one arrives on a stream from the other, once and in order; Last-Event-ID replays what a
client missed without doubles; filters; a slow client is dropped; heartbeats."""

from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from app.commands.launch import served
from app.routers.event_stream import transitions
from gis.events import feed as feed_module
from gis.events import intake
from gis.events.feed import EventFeed, FeedFilter
from gis.events.stages import PUBLIC
from tests.planters.event_places import EAST_GRID, IN_EAST, IN_WEST_SOUTH, plant, planted_database

EVENTS = "/api/v1/events"
STREAM = "/api/v1/events/stream"
# Two servers on one planted database: each opens its pool with one connection.
SMALL_POOL = {"ONEMAP_POOL_MIN_SIZE": "1"}


@pytest.fixture(scope="module")
def servers(admin_url: str, migrated_template: str) -> Iterator[tuple[str, str, str]]:
    with (
        planted_database(admin_url, migrated_template, "stream") as (url, _secrets),
        served(url, env=SMALL_POOL) as server_a,
        served(url, env=SMALL_POOL) as server_b,
    ):
        yield server_a, server_b, url


class Stream:
    """An SSE client on a thread: messages (id, event, data) land in ``received``."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.received: queue.Queue[tuple[int, str, dict[str, Any]]] = queue.Queue()
        self.comments: queue.Queue[str] = queue.Queue()
        self.status: int | None = None
        self._response: httpx.Response | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise
        finally:
            self._ready.set()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            self._response = response
            self.status = response.status_code
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    self._ready.set()  # sent after the subscription is in place
                elif line.startswith(":"):
                    self.comments.put(line)
                elif line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                elif "id" in fields:
                    self.received.put(
                        (int(fields["id"]), fields["event"], json.loads(fields["data"]))
                    )
                    fields = {}
                if self._stop.is_set():
                    return

    def take(self, count: int, timeout: float = 15) -> list[tuple[int, str, dict[str, Any]]]:
        return [self.received.get(timeout=timeout) for _ in range(count)]

    def close(self) -> None:
        # Close the connection, so the server need not wait for a heartbeat to notice.
        self._stop.set()
        if self._response is not None:
            stream = self._response.extensions["network_stream"]
            stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        self._thread.join(10)
        assert not self._thread.is_alive()


def history(url: str, event_id: int) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT history_id, action FROM event_history WHERE event_id = %s ORDER BY history_id",
            (event_id,),
        ).fetchall()


def report(base: str, point: tuple[float, float], **headers: str) -> int:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(point)},
        "properties": {"category": "0701", "description": "楼道噪音", "reporter_name": "张三",
                       "reporter_phone": "13800000000"},
    }  # fmt: skip
    answer = httpx.post(base + EVENTS, json=feature, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_a_report_through_server_a_streams_from_server_b_once_and_in_order(servers):
    server_a, server_b, url = servers
    stream = Stream(server_b + STREAM)
    try:
        event_id = report(server_a, IN_WEST_SOUTH)
        expected = history(url, event_id)
        assert [action for _id, action in expected][:2] == ["report", "file"]
        got = stream.take(len(expected))
        assert [(history_id, action) for history_id, action, _data in got] == expected
        for history_id, action, data in got:
            assert (data["history_id"], data["action"], data["event_id"]) == (
                history_id,
                action,
                event_id,
            )
            assert data["grid_code"] and data["tracking_number"].startswith("SJ")
            assert "张三" not in json.dumps(data, ensure_ascii=False)
            assert "13800000000" not in json.dumps(data)
        with pytest.raises(queue.Empty):  # nothing twice
            stream.received.get(timeout=1.0)
    finally:
        stream.close()


def test_last_event_id_replays_the_missed_rows_then_continues_live(servers):
    server_a, server_b, url = servers
    first = report(server_a, IN_WEST_SOUTH)
    missed = history(url, first)
    stream = Stream(server_b + STREAM, {"Last-Event-ID": str(missed[0][0])})
    try:
        replayed = stream.take(len(missed) - 1)
        assert [(i, a) for i, a, _ in replayed] == missed[1:]
        second = report(server_a, IN_EAST)
        live = history(url, second)
        got = stream.take(len(live))
        assert [(i, a) for i, a, _ in got] == live
        with pytest.raises(queue.Empty):
            stream.received.get(timeout=1.0)
    finally:
        stream.close()


def test_a_grid_filter_passes_only_that_grid(servers):
    server_a, server_b, url = servers
    stream = Stream(server_a + STREAM + f"?grid={EAST_GRID}")
    try:
        report(server_b, IN_WEST_SOUTH)
        east = report(server_b, IN_EAST)
        expected = history(url, east)
        got = stream.take(len(expected))
        assert [(i, a) for i, a, _ in got] == expected
        assert {data["grid_code"] for _i, _a, data in got} == {EAST_GRID}
        with pytest.raises(queue.Empty):
            stream.received.get(timeout=1.0)
    finally:
        stream.close()


def test_the_latest_transitions_are_what_the_stream_sent_newest_first(servers):
    server_a, server_b, url = servers
    stream = Stream(server_b + STREAM)
    try:
        west = report(server_a, IN_WEST_SOUTH)
        east = report(server_a, IN_EAST)
        sent = stream.take(len(history(url, west)) + len(history(url, east)))
    finally:
        stream.close()
    answer = httpx.get(server_b + STREAM + "/latest", params={"limit": "3"}, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with psycopg.connect(url) as conn:
        newest = [
            history_id
            for (history_id,) in conn.execute(
                "SELECT history_id FROM event_history ORDER BY history_id DESC LIMIT 3"
            ).fetchall()
        ]
    assert [t["history_id"] for t in body["transitions"]] == newest
    assert body["numberReturned"] == 3
    # the very summaries the stream sent, newest first
    assert body["transitions"] == [data for _i, _a, data in reversed(sent)][:3]
    # by place, as the stream filters
    by_grid = httpx.get(server_b + STREAM + "/latest", params={"grid": EAST_GRID}, timeout=10)
    east_only = by_grid.json()["transitions"]
    assert east_only and {t["grid_code"] for t in east_only} == {EAST_GRID}
    assert east_only[0]["event_id"] == east and len(east_only) <= 20
    ids = [t["history_id"] for t in east_only]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("query", "named"),
    [("?limit=0", "limit"), ("?limit=101", "limit"), ("?grid=123", "123"), ("?q=1", "q")],
)
def test_bad_latest_parameters_are_refused_with_400(servers, query, named):
    answer = httpx.get(servers[0] + STREAM + "/latest" + query, timeout=10)
    assert answer.status_code == 400
    assert named in answer.text


@pytest.mark.parametrize(
    ("query", "headers", "named"),
    [
        ("?grid=123", {}, "123"),
        ("?community=450105001001001", {}, "450105001001001"),
        ("?colour=red", {}, "colour"),
        ("", {"Last-Event-ID": "abc"}, "Last-Event-ID"),
    ],
)
def test_bad_filters_are_refused_with_400(servers, query, headers, named):
    answer = httpx.get(servers[0] + STREAM + query, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert named in answer.text


def test_a_slow_client_is_dropped_and_the_others_get_everything(scratch_database, monkeypatch):
    monkeypatch.setattr(feed_module, "QUEUE_SIZE", 3)

    async def go() -> tuple[list[int], list[int | None]]:
        feed = EventFeed(scratch_database)
        await feed.start()
        try:
            slow = feed.subscribe(FeedFilter())
            fast = feed.subscribe(FeedFilter())
            received: list[int] = []

            async def consume() -> None:
                while len(received) < 8:
                    item = await fast.get(10)
                    assert item is not None
                    received.append(item.history_id)

            consumer = asyncio.create_task(consume())
            async with await psycopg.AsyncConnection.connect(
                scratch_database, autocommit=True
            ) as conn:
                for n in range(1, 9):
                    payload = json.dumps({"history_id": n, "action": "file"})
                    await conn.execute("SELECT pg_notify('onemap_events', %s)", (payload,))
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(consumer, 10)
            slow_items = [await slow.get(1)]
            return received, [None if i is None else i.history_id for i in slow_items]
        finally:
            await feed.stop()

    received, slow_items = asyncio.run(go())
    assert received == list(range(1, 9))
    assert slow_items == [None]  # its stream ends; it reconnects with Last-Event-ID


def test_a_quiet_stream_sends_heartbeat_comments(scratch_database):
    async def go() -> list[str]:
        feed = EventFeed(scratch_database)
        await feed.start()
        pool = AsyncConnectionPool(scratch_database, min_size=1, max_size=2, open=False)
        await pool.open(wait=True)
        try:
            texts = transitions(feed, pool, FeedFilter(), 0, heartbeat=0.2)
            started = time.monotonic()
            parts = [await anext(texts) for _ in range(3)]
            assert time.monotonic() - started < 2
            await texts.aclose()
            return parts
        finally:
            await pool.close()
            await feed.stop()

    parts = asyncio.run(go())
    assert parts == ["retry: 1000\n\n", ": keep-alive\n\n", ": keep-alive\n\n"]


def test_a_row_both_replayed_and_queued_is_sent_once(scratch_database):
    """A transition committed after the client subscribed but before its replay was read
    is in the queue and in the replay: it goes out once, and later ones still follow."""
    plant(scratch_database)

    async def go() -> tuple[list[str], list[str]]:
        feed = EventFeed(scratch_database)
        await feed.start()
        pool = AsyncConnectionPool(scratch_database, min_size=1, max_size=2, open=False)
        await pool.open(wait=True)
        try:
            texts = transitions(feed, pool, FeedFilter(), 0, heartbeat=5)
            assert await anext(texts) == "retry: 1000\n\n"  # subscribed now
            async with pool.connection() as conn:
                await intake.create(conn, intake.parse_feature(json.dumps(sample())), actor=PUBLIC)
            rows = await _rows(pool)
            parts = [await anext(texts) for _ in range(len(rows))]  # the replay
            async with pool.connection() as conn:
                await intake.create(conn, intake.parse_feature(json.dumps(sample())), actor=PUBLIC)
            later = (await _rows(pool))[len(rows) :]
            parts += [await asyncio.wait_for(anext(texts), 5) for _ in range(len(later))]
            await texts.aclose()
            return [part.split("\n")[0] for part in parts], [f"id: {i}" for i in rows + later]
        finally:
            await pool.close()
            await feed.stop()

    sent, expected = asyncio.run(go())
    assert sent == expected


def sample() -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(IN_WEST_SOUTH)},
        "properties": {"category": "0701", "description": "楼道噪音"},
    }


async def _rows(pool: AsyncConnectionPool) -> list[int]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT history_id FROM event_history ORDER BY history_id")
        return [row[0] for row in await cursor.fetchall()]
