"""Benchmark: HTTP intake of reports, ``POST /api/v1/events``, under 50 concurrent clients.

Creates its own database with the demo district (seed 7), starts uvicorn on 127.0.0.1
(one process by default: on two cores shared with PostgreSQL and this load generator, a
second server process cost more in contention than it added, 343/s against 585/s when
tried), warms it up with an unmeasured round (the pool opens its connections, PostgreSQL
caches the intake function's plans in each), and sends reports at points scattered over
the grids, each with its own Idempotency-Key, over a lean keep-alive HTTP/1.1 client on
asyncio streams (see ``_Client``). Measured beside a baseline in the same run: one
client sending one report after another to the same server. Prints throughput,
p50/p95/p99 latency and errors for each run, medians over the runs and the ratios, then
checks that every acknowledged report is stored exactly once (ids and tracking numbers
matched against the events and idempotency_keys tables). Target: ≥ 500 reports/s with
p99 < 150 ms.

Run: ``.venv/bin/python -m bench.bench_ingest [--runs 3] [--requests 2000] [--workers 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from rich.progress import Progress

from app.commands import devdb
from app.commands.launch import served
from app.commands.migrate import upgrade
from gis import demo

TARGET_RATE = 500.0
TARGET_P99_MS = 150.0
MAX_SECONDS = 120.0
CATEGORIES = ("0101", "0201", "0301", "0701", "0901")


@dataclass
class Run:
    label: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    stored: dict[int, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _admin_url() -> str:
    if os.environ.get("ONEMAP_TEST_ADMIN_URL"):
        return os.environ["ONEMAP_TEST_ADMIN_URL"]
    devdb.start()
    return devdb.url().rsplit("/", 1)[0] + "/postgres"


@contextmanager
def _database(admin_url: str) -> Iterator[str]:
    name = "onemap_bench_ingest"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _points(url: str, count: int) -> list[tuple[float, float]]:
    """``count`` points scattered over the grids, each grid's share by its area. Reports
    at a handful of repeated points would make almost every one a likely duplicate of
    the last (and the duplicate search slower with every report); scattered points give
    the few duplicates a district sees."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT ST_X(p.geom), ST_Y(p.geom) FROM ("
            " SELECT ST_Union(geom) AS geom FROM grids) AS district,"
            " ST_Dump(ST_GeneratePoints(district.geom, %s, 7)) AS p",
            (count,),
        ).fetchall()
    return [(float(lon), float(lat)) for lon, lat in rows]


class _Client:
    """One keep-alive HTTP/1.1 connection on bare asyncio streams. httpx.AsyncClient
    spent 7.4 ms of CPU per request at 50 clients here, more than the server (4.2 ms) and
    PostgreSQL (2.6 ms) together: on two shared cores the load generator, not the
    service, set the pace."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/geo+json\r\nContent-Length: {len(body)}\r\n"
            f"Idempotency-Key: {key}\r\n\r\n"
        )
        try:
            writer.write(head.encode("ascii") + body)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            return status, await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            writer.close()
            self.streams = None
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


async def _send(base: str, clients: int, requests: int, points: list, label: str) -> Run:
    # The load generator's own garbage-collection pauses would count as server latency.
    gc.collect()
    gc.freeze()
    run = Run(label)
    todo = iter(range(requests))
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with Progress(transient=True) as progress:
        task = progress.add_task(label, total=requests)
        started = time.perf_counter()

        async def worker() -> None:
            client = _Client(host, int(port))
            try:
                for _ in todo:
                    if time.perf_counter() - started > MAX_SECONDS:
                        return
                    lon, lat = random.choice(points)
                    feature = {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"category": random.choice(CATEGORIES),
                                       "description": "压测事件"},
                    }  # fmt: skip
                    body = json.dumps(feature, ensure_ascii=False).encode()
                    sent = time.perf_counter()
                    try:
                        status, answer = await client.post("/api/v1/events", body, uuid.uuid4().hex)
                    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                        run.errors += 1
                        continue
                    if status != 201:
                        run.errors += 1
                        continue
                    run.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    event = json.loads(answer)
                    run.stored[int(event["id"])] = event["properties"]["tracking_number"]
                    progress.advance(task)
            finally:
                client.close()

        await asyncio.gather(*(worker() for _ in range(clients)))
        run.seconds = time.perf_counter() - started
    return run


def _verify(url: str, runs: list[Run], before: int) -> str:
    """Whether the events after id ``before`` (the demo's) are exactly those acknowledged."""
    acknowledged: dict[int, str] = {}
    for run in runs:
        acknowledged.update(run.stored)
    total = sum(len(run.stored) for run in runs)
    with psycopg.connect(url) as conn:
        rows: dict[int, str] = dict(
            conn.execute(
                "SELECT event_id, tracking_number FROM events WHERE event_id > %s", (before,)
            ).fetchall()
        )
        keys = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM idempotency_keys")
        key_rows, key_events = keys.fetchone() or (0, 0)
    problems = []
    if total != len(acknowledged):
        problems.append(f"{total - len(acknowledged)} ids acknowledged twice")
    if rows != acknowledged:
        problems.append(f"{len(rows)} events stored, {len(acknowledged)} acknowledged")
    if (key_rows, key_events) != (len(acknowledged), len(acknowledged)):
        problems.append(f"{key_rows} idempotency keys for {key_events} events")
    return "; ".join(problems) or f"all {len(rows):,} acknowledged reports stored exactly once"


def _line(run: Run) -> str:
    return (
        f"{run.label:<28} {run.rate:8.1f}/s  p50 {run.percentile(0.50):6.1f} ms"
        f"  p95 {run.percentile(0.95):6.1f} ms  p99 {run.percentile(0.99):6.1f} ms"
        f"  ok {len(run.latencies_ms):5d}  errors {run.errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--baseline-requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warmup-requests", type=int, default=1000)
    args = parser.parse_args()
    with _database(_admin_url()) as url:
        upgrade(url)
        with psycopg.connect(url) as conn:
            demo.load(conn, scale="district", seed=7)
        points = _points(url, 20000)
        with psycopg.connect(url) as conn:
            before = int(
                (conn.execute("SELECT max(event_id) FROM events").fetchone() or [0])[0] or 0
            )
        runs: list[Run] = []
        # 50 clients on this machine are one address: the per-address limit is off here
        with served(
            url, workers=args.workers, env={"ONEMAP_PUBLIC_REPORTS_PER_MINUTE": "0"}
        ) as base:
            warmup = asyncio.run(
                _send(base, args.clients, args.warmup_requests, points, "warm-up (not counted)")
            )
            print(_line(warmup))
            for number in range(1, args.runs + 1):
                baseline = asyncio.run(
                    _send(base, 1, args.baseline_requests, points, f"baseline 1 client #{number}")
                )
                loaded = asyncio.run(
                    _send(
                        base,
                        args.clients,
                        args.requests,
                        points,
                        f"{args.clients} clients #{number}",
                    )
                )
                runs += [baseline, loaded]
                print(_line(baseline))
                print(_line(loaded))
        base_runs, load_runs = runs[0::2], runs[1::2]

        def median(selected: list[Run], measure: str) -> float:
            values = [
                r.rate if measure == "rate" else r.percentile(float(measure)) for r in selected
            ]
            return statistics.median(values)

        print(f"\nmedians over {args.runs} runs (server: uvicorn --workers {args.workers})")
        for measure, name in (("rate", "throughput /s"), ("0.5", "p50 ms"),
                              ("0.95", "p95 ms"), ("0.99", "p99 ms")):  # fmt: skip
            b, m = median(base_runs, measure), median(load_runs, measure)
            print(f"  {name:<14} baseline {b:8.1f}   {args.clients} clients {m:8.1f}"
                  f"   ratio {m / b if b else float('nan'):5.2f}")  # fmt: skip
        rate, p99 = median(load_runs, "rate"), median(load_runs, "0.99")
        met = rate >= TARGET_RATE and p99 < TARGET_P99_MS
        print(f"  target ≥ {TARGET_RATE:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms:"
              f" {'met' if met else 'NOT met'}")  # fmt: skip
        print(f"  errors: {sum(r.errors for r in runs)}")
        print(f"  check: {_verify(url, [warmup, *runs], before)}")


if __name__ == "__main__":
    main()
