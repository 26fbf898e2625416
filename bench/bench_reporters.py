"""Benchmark: 100 concurrent reporters for 60 s, retrying, and hanging up mid-request.

Each reporter sends one report after another to ``POST /api/v1/events``, each with its own
Idempotency-Key, and behaves like a phone on a poor network: now and then (``--hang-ups``,
5 % of requests) it closes the connection after sending part or all of the request,
without reading the answer, and sends the request again with the same key; after a
timeout (10 s) or a connection error it does the same; after a 503 it waits the
Retry-After and tries again. It moves to its next report only once the last one is
acknowledged (201) or refused (another 4xx).

Creates its own database with the demo district (seed 7), starts uvicorn (one process,
the per-address limit on public reports off: every reporter is this machine), warms up
unmeasured, then measures a baseline in the same run, one reporter on the same server,
beside the 100. Prints reports/s and the p50/p99 latency of the acknowledging answers,
the hang-ups and retries, and checks:

- every acknowledged report is stored exactly once: the events after the demo's are
  exactly those acknowledged, with their tracking numbers; each key's row in
  idempotency_keys names the event its 201 named; no event without its key or without
  its report and filing in event_history;
- no 5xx but a 503 that is a JSON problem with Retry-After.

Run: ``.venv/bin/python -m bench.bench_reporters [--seconds 60] [--reporters 100]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from rich.progress import Progress

from app.commands.launch import served
from bench.harness import (
    CONNECTION_ERRORS,
    NO_REPORT_LIMIT,
    REPORTS_PATH,
    Answer,
    Client,
    admin_url,
    demo_district,
    percentile,
    report_body,
)

HANG_UP_SHARE = 0.05
TIMEOUT_S = 10.0
# How long a reporter keeps trying to get its last report acknowledged after the load
# has ended, before it gives the report up.
GRACE_S = 60.0
# After a connection error (a server being restarted, say): the pause before trying again.
RECONNECT_PAUSE_S = 0.5


@dataclass(frozen=True)
class Attempt:
    """One request of a report: when it was sent (seconds on the load's clock), how long
    it took, and how it ended: the HTTP status, or hang-up, timeout, error."""

    sent: float
    seconds: float
    outcome: str
    retry_after: bool = False
    problem: bool = False  # the body is a JSON problem (status, title, detail)

    @property
    def server_error(self) -> bool:
        return self.outcome.startswith("5")

    @property
    def proper_503(self) -> bool:
        return self.outcome == "503" and self.retry_after and self.problem


@dataclass
class Load:
    label: str
    started: float = 0.0  # time.perf_counter() when the reporters began
    seconds: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    # Idempotency-Key → (event id, tracking number) of the 201 that acknowledged it
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)
    replayed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    abandoned: set[str] = field(default_factory=set)  # still unanswered at the end

    @property
    def rate(self) -> float:
        """Reports acknowledged a second while the load lasted (not counting the last
        ones the reporters finish afterwards)."""
        within = sum(
            1 for a in self.attempts if a.outcome == "201" and a.sent + a.seconds <= self.seconds
        )
        return within / self.seconds if self.seconds else 0.0

    @property
    def latencies_ms(self) -> list[float]:
        return [a.seconds * 1000 for a in self.attempts if a.outcome == "201"]

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.attempts if a.outcome == outcome)

    @property
    def bad_server_errors(self) -> int:
        return sum(1 for a in self.attempts if a.server_error and not a.proper_503)

    def line(self) -> str:
        latencies = self.latencies_ms
        return (
            f"{self.label:<30} {self.rate:7.1f} reports/s"
            f"  p50 {percentile(latencies, 0.50):6.1f} ms"
            f"  p99 {percentile(latencies, 0.99):6.1f} ms"
            f"  acknowledged {len(self.acknowledged):6d} (replayed {self.replayed})"
            f"  hang-ups {self.count('hang-up')}  timeouts {self.count('timeout')}"
            f"  errors {self.count('error')}  503 {self.count('503')}"
            f"  other 5xx {self.bad_server_errors}  refused {sum(self.refused.values())}"
        )


class Target:
    """Where the reporters send: the base URL, changed when the server is restarted."""

    def __init__(self, base: str) -> None:
        self.base = base


def _attempt(sent: float, started: float, answer: Answer) -> Attempt:
    problem = False
    if answer.status >= 400:
        try:
            member = json.loads(answer.body)
            problem = isinstance(member, dict) and {"status", "title", "detail"} <= member.keys()
        except ValueError:
            pass
    return Attempt(
        sent - started,
        time.perf_counter() - sent,
        str(answer.status),
        "retry-after" in answer.headers,
        problem,
    )


async def _report(
    target: Target,
    client: Client,
    body: bytes,
    load: Load,
    started: float,
    give_up: Callable[[], bool],
    hang_ups: float,
) -> Client:
    """Send one report until it is acknowledged or refused; return the connection to use
    next."""
    key = uuid.uuid4().hex
    while not give_up():
        if client.streams is None and client.base != target.base:
            client = Client(target.base)  # the server moved (restarted)
        sent = time.perf_counter()
        if random.random() < hang_ups:
            # half of them once the whole request is sent: the report may be stored, the
            # answer is lost; the others part of the way through
            whole = len(client.request(REPORTS_PATH, body, key))
            cut = whole if random.random() < 0.5 else random.randint(1, whole - 1)
            with contextlib.suppress(CONNECTION_ERRORS):
                await client.hang_up_after(REPORTS_PATH, body, key, cut)
            load.attempts.append(Attempt(sent - started, time.perf_counter() - sent, "hang-up"))
            continue
        try:
            answer = await asyncio.wait_for(client.post(REPORTS_PATH, body, key), TIMEOUT_S)
        except TimeoutError:
            load.attempts.append(Attempt(sent - started, time.perf_counter() - sent, "timeout"))
            continue
        except CONNECTION_ERRORS:
            load.attempts.append(Attempt(sent - started, time.perf_counter() - sent, "error"))
            await asyncio.sleep(RECONNECT_PAUSE_S)
            continue
        attempt = _attempt(sent, started, answer)
        load.attempts.append(attempt)
        if answer.status == 201:
            event = json.loads(answer.body)
            load.acknowledged[key] = (int(event["id"]), event["properties"]["tracking_number"])
            load.replayed += answer.headers.get("idempotent-replayed") == "true"
            return client
        if answer.status == 503:
            # not keeping the connection through the wait: the server's keep-alive
            # timeout (5 s) would close it under us just as we send again
            client.close()
            await asyncio.sleep(float(answer.headers.get("retry-after", 1)))
            continue
        load.refused[attempt.outcome] += 1
        return client
    load.abandoned.add(key)
    return client


async def report(
    target: Target,
    points: list[tuple[float, float]],
    reporters: int,
    stop: asyncio.Event,
    load: Load,
    *,
    hang_ups: float = HANG_UP_SHARE,
) -> Load:
    """``reporters`` reporters sending until ``stop`` is set, each then finishing its last
    report (within GRACE_S); what they sent and were answered goes into ``load`` as it
    happens."""
    # The load generator's own garbage-collection pauses would count as server latency.
    gc.collect()
    gc.freeze()
    started = load.started = time.perf_counter()
    stopped_at: list[float] = []

    def give_up() -> bool:
        return bool(stopped_at) and time.perf_counter() - stopped_at[0] > GRACE_S

    async def reporter() -> None:
        client = Client(target.base)
        try:
            while not stop.is_set():
                body = report_body(points)
                client = await _report(target, client, body, load, started, give_up, hang_ups)
        finally:
            client.close()

    async def watch(progress: Progress) -> None:
        task = progress.add_task(load.label, total=None)
        while not stop.is_set():
            progress.update(task, completed=len(load.acknowledged))
            await asyncio.sleep(0.5)
        stopped_at.append(time.perf_counter())

    with Progress(transient=True) as progress:
        await asyncio.gather(watch(progress), *(reporter() for _ in range(reporters)))
    load.seconds = (stopped_at[0] if stopped_at else time.perf_counter()) - started
    return load


async def report_for(
    target: Target, points: list[tuple[float, float]], reporters: int, seconds: float, label: str
) -> Load:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await report(target, points, reporters, stop, Load(label))


def check_stored(url: str, last_demo_event: int, loads: list[Load]) -> tuple[list[str], str]:
    """Problems with what the database holds after ``loads`` (none: every acknowledged
    report stored exactly once, consistently), and a summary."""
    acknowledged: dict[str, tuple[int, str]] = {}
    abandoned: set[str] = set()
    for load in loads:
        acknowledged.update(load.acknowledged)
        abandoned |= load.abandoned
    with psycopg.connect(url) as conn:
        events: dict[int, str] = dict(
            conn.execute(
                "SELECT event_id, tracking_number FROM events WHERE event_id > %s",
                (last_demo_event,),
            ).fetchall()
        )
        keys: dict[str, int] = dict(
            conn.execute(
                "SELECT idempotency_key, event_id FROM idempotency_keys WHERE event_id > %s",
                (last_demo_event,),
            ).fetchall()
        )
        unfiled = conn.execute(
            "SELECT count(*) FROM events AS e WHERE e.event_id > %s AND (SELECT"
            " count(DISTINCT h.action) FILTER (WHERE h.action IN ('report', 'file'))"
            " FROM event_history AS h WHERE h.event_id = e.event_id) <> 2",
            (last_demo_event,),
        ).fetchone()
    problems = []
    lost = [k for k, (event, number) in acknowledged.items() if events.get(event) != number]
    if lost:
        problems.append(f"{len(lost)} acknowledged reports not stored as acknowledged")
    twice = [e for e, n in Counter(e for e, _ in acknowledged.values()).items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} events acknowledged for two reports")
    misfiled = [k for k, (event, _) in acknowledged.items() if keys.get(k) != event]
    if misfiled:
        problems.append(f"{len(misfiled)} acknowledged keys not stored with their event")
    acknowledged_events = {event for event, _ in acknowledged.values()}
    given_up = {keys[k] for k in abandoned if k in keys}
    unexplained = set(events) - acknowledged_events - given_up
    if unexplained:
        problems.append(f"{len(unexplained)} events stored that no reporter was told of")
    keyless = set(events) - set(keys.values())
    if keyless:
        problems.append(f"{len(keyless)} events without their idempotency key")
    if unfiled and unfiled[0]:
        problems.append(f"{unfiled[0]} events without their report and filing in the history")
    summary = (
        f"{len(events):,} events stored for {len(acknowledged):,} acknowledged reports"
        f" ({len(abandoned)} given up unanswered, {len(given_up)} of them stored)"
    )
    return problems, summary


def verdict(claim: str, holds: bool, detail: str = "") -> bool:
    print(f"  {'PASS' if holds else 'FAIL'}  {claim}" + (f": {detail}" if detail else ""))
    return holds


def check_load(url: str, last_demo_event: int, loads: list[Load]) -> bool:
    """The two claims every load makes: acknowledged reports stored exactly once, and no
    5xx but a proper 503."""
    problems, summary = check_stored(url, last_demo_event, loads)
    stored = verdict(
        "every acknowledged report stored exactly once",
        not problems,
        "; ".join(problems) or summary,
    )
    bad = sum(load.bad_server_errors for load in loads)
    proper = sum(1 for load in loads for a in load.attempts if a.proper_503)
    answers = verdict(
        "no 5xx but 503 with Retry-After (a JSON problem)",
        bad == 0,
        f"{bad} other 5xx, {proper} proper 503",
    )
    return stored and answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reporters", type=int, default=100)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with demo_district(admin_url(), "onemap_bench_reporters") as district:
        with served(district.url, env=NO_REPORT_LIMIT) as base:
            target = Target(base)
            points = district.points
            warmup = asyncio.run(
                report_for(target, points, args.reporters, args.warmup_seconds, "warm-up")
            )
            print(warmup.line() + "  (not counted)")
            runs: list[tuple[Load, Load]] = []
            for number in range(1, args.runs + 1):
                baseline = asyncio.run(
                    report_for(
                        target, points, 1, args.baseline_seconds, f"baseline 1 reporter #{number}"
                    )
                )
                print(baseline.line())
                loaded = asyncio.run(
                    report_for(
                        target,
                        points,
                        args.reporters,
                        args.seconds,
                        f"{args.reporters} reporters #{number}",
                    )
                )
                print(loaded.line())
                runs.append((baseline, loaded))
        print(f"\nmedians over {args.runs} run(s), {args.seconds:.0f} s each")
        measures: dict[str, Callable[[Load], float]] = {
            "reports/s": lambda load: load.rate,
            "p50 ms": lambda load: percentile(load.latencies_ms, 0.50),
            "p99 ms": lambda load: percentile(load.latencies_ms, 0.99),
        }
        for name, measure in measures.items():
            b = statistics.median(measure(base) for base, _ in runs)
            m = statistics.median(measure(loaded) for _, loaded in runs)
            print(
                f"  {name:<10} baseline {b:8.1f}   {args.reporters} reporters {m:8.1f}"
                f"   ratio {m / b if b else float('nan'):5.2f}"
            )
        loads = [warmup, *(load for pair in runs for load in pair)]
        check_load(district.url, district.last_demo_event, loads)


if __name__ == "__main__":
    main()
