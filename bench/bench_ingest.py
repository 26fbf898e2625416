"""Benchmark: HTTP intake of reports, ``POST /api/v1/events``, under 50 concurrent clients.

Creates its own database with the demo district (seed 7), starts uvicorn on 127.0.0.1
(one process by default: on two cores shared with PostgreSQL and this load generator, a
second server process cost more in contention than it added, 343/s against 585/s when
tried), warms it up with an unmeasured round (the pool opens its connections, PostgreSQL
caches the intake function's plans in each), and sends reports at points scattered over
the grids, each with its own Idempotency-Key, over a lean keep-alive HTTP/1.1 client on
asyncio streams (see ``bench.harness.Client``). Measured beside a baseline in the same run: one
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
import statistics
import time
import uuid
from dataclasses import dataclass, field

import psycopg
from rich.progress import Progress

from app.commands.launch import served
from bench.harness import (
    CONNECTION_ERRORS,
    NO_REPORT_LIMIT,
    REPORTS_PATH,
    Client,
    admin_url,
    demo_district,
    percentile,
    report_body,
)

TARGET_RATE = 500.0
TARGET_P99_MS = 150.0
MAX_SECONDS = 120.0


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
        return percentile(self.latencies_ms, q)


async def _send(base: str, clients: int, requests: int, points: list, label: str) -> Run:
    # The load generator's own garbage-collection pauses would count as server latency.
    gc.collect()
    gc.freeze()
    run = Run(label)
    todo = iter(range(requests))
    with Progress(transient=True) as progress:
        task = progress.add_task(label, total=requests)
        started = time.perf_counter()

        async def worker() -> None:
            client = Client(base)
            try:
                for _ in todo:
                    if time.perf_counter() - started > MAX_SECONDS:
                        return
                    body = report_body(points)
                    sent = time.perf_counter()
                    try:
                        answer = await client.post(REPORTS_PATH, body, uuid.uuid4().hex)
                    except CONNECTION_ERRORS:
                        run.errors += 1
                        continue
                    if answer.status != 201:
                        run.errors += 1
                        continue
                    run.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    event = json.loads(answer.body)
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
    with demo_district(admin_url(), "onemap_bench_ingest") as district:
        url, points, before = district.url, district.points, district.last_demo_event
        runs: list[Run] = []
        with served(url, workers=args.workers, env=NO_REPORT_LIMIT) as base:
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
