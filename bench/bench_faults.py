"""Benchmark: onemap under faults: PostgreSQL stopped mid-load, onemap killed mid-import
and mid-load, slow clients trickling their bodies. Each scenario prints its figures and a
PASS/FAIL line per claim (issue 13, "Proof").

outage
    100 reporters (bench/bench_reporters.py: retries, hang-ups) post for 10 s; then this
    bench's own PostgreSQL cluster (initdb'd under a temporary folder on a free port, so
    no one else's database stops) is stopped (``pg_ctl stop -m fast``) for 20 s and
    started again; the reporters go on until 15 s after onemap answers 201 again. Claims:
    every request sent during the outage is answered 503, a JSON problem with
    Retry-After, within 5 s (the longest wait is printed); onemap recovers without a
    restart (the seconds from PostgreSQL accepting connections to the first 201); no
    acknowledged report is lost.
crash
    onemap killed with SIGKILL mid-import: ``onemap import buildings`` (the CLI) and the
    server during ``POST /api/v1/import/buildings``, each once while the import's
    transaction copies the file's records into its staging table and once while it
    writes the buildings (the demo district's 18,000-odd buildings, exported and deleted
    first, are imported again); the buildings are counted before and after, and then
    imported once more, not killed, to show the file was good.
    Then the server killed while 100 reporters post, and started again (the reporters
    retry on the new one with the same keys). Claims: nothing half-written (the import
    all or nothing; every acknowledged report stored once, with its key and history).
slow
    a normal client sends reports one after another for 10 s, alone (the baseline) and
    while 60 slow clients trickle their report bodies (3 bytes a second, half with a
    Content-Length and half chunked). Claim: each of its reports is answered within 1 s.

Run: ``.venv/bin/python -m bench.bench_faults [--only outage|crash|slow] [--outage-seconds 20]
[--reporters 100] [--slow-clients 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psycopg

from app.commands import devdb
from app.commands.launch import ROOT, free_port, served
from bench.bench_reporters import Load, Target, check_load, report, verdict
from bench.harness import (
    CONNECTION_ERRORS,
    NO_REPORT_LIMIT,
    REPORTS_PATH,
    Client,
    District,
    admin_url,
    demo_district,
    percentile,
    report_body,
    server_pid,
)
from gis import tokens

OUTAGE_LIMIT_S = 5.0
SLOW_LIMIT_S = 1.0
TRICKLE_BYTES = 3  # a second


def _now() -> float:
    return time.perf_counter()


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of this bench's own, started the way ``onemap db start`` starts
    the project's (app/commands/devdb.py) but under a temporary folder and on a free port;
    stopped and removed afterwards. Yields its admin URL."""
    folder = Path(tempfile.mkdtemp(prefix="onemap-bench-faults-"))
    folder.chmod(0o755)  # the cluster's OS user (postgres, when we are root) reaches it
    saved = {name: os.environ.get(name) for name in ("ONEMAP_STATE_DIR", "ONEMAP_DB_PORT")}
    os.environ["ONEMAP_STATE_DIR"] = str(folder)
    os.environ["ONEMAP_DB_PORT"] = str(free_port())
    try:
        devdb.start()
        yield devdb.url().rsplit("/", 1)[0] + "/postgres"
    finally:
        devdb.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(folder, ignore_errors=True)


# -- outage ------------------------------------------------------------------------------


async def _outage(district: District, base: str, args: argparse.Namespace) -> bool:
    target, stop = Target(base), asyncio.Event()
    load = Load(f"{args.reporters} reporters, PostgreSQL stopped")
    loading = asyncio.create_task(report(target, district.points, args.reporters, stop, load))
    marks: dict[str, float] = {}
    await asyncio.sleep(args.before_seconds)
    marks["stopping"] = _now()
    await asyncio.to_thread(devdb.stop)
    marks["down"] = _now()
    await asyncio.sleep(args.outage_seconds)
    marks["starting"] = _now()
    await asyncio.to_thread(devdb.start)
    marks["up"] = _now()

    def at(sent: float) -> float:  # the load's clock to this one
        return load.started + sent

    def acknowledged_since_up() -> list[float]:
        return sorted(
            at(a.sent) + a.seconds - marks["up"]
            for a in load.attempts
            if a.outcome == "201" and at(a.sent) + a.seconds >= marks["up"]
        )

    # until onemap answers 201 again (two minutes at most), and then a while longer
    while _now() - marks["up"] < 120 and not acknowledged_since_up():
        await asyncio.sleep(0.1)
    await asyncio.sleep(args.after_seconds)
    stop.set()
    await loading

    # the requests sent while PostgreSQL was stopping or down (not those the reporters
    # hung up on); those sent once it was down and answered before it was started again
    # must all be 503s
    answered = [a for a in load.attempts if a.outcome != "hang-up"]
    during = [a for a in answered if marks["stopping"] <= at(a.sent) < marks["starting"]]
    before_restart = [
        a
        for a in during
        if at(a.sent) >= marks["down"] and at(a.sent) + a.seconds < marks["starting"]
    ]
    since_up = acknowledged_since_up()
    recovery = since_up[0] if since_up else float("nan")
    longest = max((a.seconds for a in during), default=0.0)
    outcomes = Counter(a.outcome for a in during)
    print(load.line())
    print(
        f"  PostgreSQL stopped in {marks['down'] - marks['stopping']:.1f} s, down"
        f" {marks['starting'] - marks['down']:.1f} s, started in"
        f" {marks['up'] - marks['starting']:.1f} s"
    )
    print(
        f"  during the outage: {len(during)} requests, {dict(outcomes)}; wait p50"
        f" {percentile([a.seconds for a in during], 0.5):.2f} s, longest {longest:.2f} s"
    )
    print(f"  first 201 {recovery:.2f} s after PostgreSQL accepted connections again")
    print(f"  the longest wait of any request in the run: {max(a.seconds for a in answered):.2f} s")
    results = [
        verdict(
            f"every request during the outage answered within {OUTAGE_LIMIT_S:.0f} s",
            bool(during) and longest <= OUTAGE_LIMIT_S,
            f"longest {longest:.2f} s of {len(during)}",
        ),
        verdict(
            "... as 503, a JSON problem with Retry-After (those answered before the restart)",
            bool(before_restart) and all(a.proper_503 for a in before_restart),
            f"{sum(a.proper_503 for a in before_restart)} of {len(before_restart)}",
        ),
        verdict(
            "onemap recovers without a restart",
            bool(since_up),
            f"first 201 {recovery:.2f} s after PostgreSQL was back, {len(since_up)} since",
        ),
        check_load(district.url, district.last_demo_event, [load]),
    ]
    return all(results)


def outage(args: argparse.Namespace) -> bool:
    print(f"\n== outage: PostgreSQL stopped for {args.outage_seconds:.0f} s mid-load")
    with (
        throwaway_cluster() as admin,
        demo_district(admin, "onemap_bench_faults_outage") as district,
        served(district.url, env=NO_REPORT_LIMIT) as base,
    ):
        return asyncio.run(_outage(district, base, args))


# -- crash -------------------------------------------------------------------------------


def _export_buildings(url: str, path: Path) -> int:
    """Write the district's buildings to a GeoJSON file and delete them: the file is then
    an import of that many new buildings."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), json_build_object('type', 'FeatureCollection', 'features',"
            " json_agg(ST_AsGeoJSON(b.*)::json)) FROM (SELECT building_code, name,"
            " building_use, floors, units, households, population, geom FROM buildings) AS b"
        ).fetchone()
        assert row is not None
        path.write_text(json.dumps(row[1], ensure_ascii=False))
        conn.execute("DELETE FROM buildings")
    return int(row[0])


def _buildings(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int((conn.execute("SELECT count(*) FROM buildings").fetchone() or [0])[0])


# Where an import is killed: the statement its backend is running, as pg_stat_activity
# shows it (the copy of the file's records into the staging table, which lasts as long as
# the client sends them; the upsert writing the buildings).
KILL_POINTS = {
    "copying the file into staging": "%COPY import_staging%",
    "writing the buildings": "%INSERT INTO buildings%",
}


def _import_backend(url: str, statement: str, timeout_s: float = 60.0) -> int:
    """Wait for a backend of ``url``'s database running an import's ``statement`` (an
    ILIKE pattern); its pid."""
    deadline = _now() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while _now() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE %s",
                (statement,),
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.01)
    raise TimeoutError(f"no import running {statement} in the database")


def _gone(url: str, pid: int, timeout_s: float = 120.0) -> float:
    """Seconds until PostgreSQL has ended backend ``pid`` (it notices the client is gone
    when its statement ends), rolling its transaction back."""
    began = _now()
    with psycopg.connect(url, autocommit=True) as conn:
        while _now() - began < timeout_s:
            alive = conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
            if alive.fetchone() is None:
                return _now() - began
            time.sleep(0.05)
    raise TimeoutError(f"backend {pid} still there after {timeout_s:.0f} s")


def _killed_import(url: str, victim: int, label: str, point: str, buildings: int) -> bool:
    """SIGKILL process ``victim`` when the import it has just begun reaches ``point`` (of
    KILL_POINTS) in PostgreSQL, and check that no building was written."""
    before, began = _buildings(url), _now()
    try:
        backend = _import_backend(url, KILL_POINTS[point])
    except TimeoutError as missed:
        os.kill(victim, signal.SIGKILL)
        return verdict(f"{label} killed {point}", False, f"not caught there: {missed}")
    os.kill(victim, signal.SIGKILL)
    killed_after = _now() - began
    ended = _gone(url, backend)
    after = _buildings(url)
    print(
        f"  {label} killed {killed_after:.1f} s in, {point}; its backend gone"
        f" {ended:.1f} s later; buildings {before} before, {after} after"
    )
    return verdict(
        f"{label} killed {point}: nothing half-written",
        after == before,
        f"{after - before} of {buildings:,} written",
    )


def _upload(base: str, token: str, path: Path) -> httpx.Response:
    with path.open("rb") as file:
        return httpx.post(
            f"{base}/api/v1/import/buildings",
            files={"file": (path.name, file, "application/geo+json")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )


def _crashed_imports(url: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="onemap-bench-faults-") as folder:
        path = Path(folder) / "buildings.geojson"
        buildings = _export_buildings(url, path)
        print(f"  the file: {buildings:,} buildings, {path.stat().st_size / 2**20:.1f} MiB")
        results = []
        for point in KILL_POINTS:
            cli = subprocess.Popen(
                [Path(sys.executable).with_name("onemap"), "import", "buildings", path,
                 "--no-progress"],
                cwd=ROOT,
                env={**os.environ, "ONEMAP_DATABASE_URL": url},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            results.append(_killed_import(url, cli.pid, "onemap import (CLI)", point, buildings))
            cli.wait()
        with psycopg.connect(url) as conn:
            token = tokens.create(conn, name="bench_faults", role="admin")
        with ExitStack() as servers:
            for point in KILL_POINTS:
                base = servers.enter_context(served(url))
                uploading = threading.Thread(target=_swallow, args=(base, token, path))
                uploading.start()
                label = "the server, POST /api/v1/import,"
                results.append(_killed_import(url, server_pid(base), label, point, buildings))
                uploading.join()
            again = servers.enter_context(served(url))
            began = _now()
            answer = _upload(again, token, path)
            after = _buildings(url)
            print(
                f"  the same upload, not killed: {answer.status_code} in {_now() - began:.1f} s,"
                f" buildings {after:,}"
            )
            results.append(
                verdict(
                    "the file imports whole when not killed",
                    answer.status_code == 200 and after == buildings,
                    f"{after:,} of {buildings:,}",
                )
            )
    return all(results)


def _swallow(base: str, token: str, path: Path) -> None:
    # an upload whose server is killed under it ends in a connection error, as it should
    with contextlib.suppress(httpx.HTTPError):
        _upload(base, token, path)


async def _crashed_load(district: District, args: argparse.Namespace, servers: ExitStack) -> bool:
    base = servers.enter_context(served(district.url, env=NO_REPORT_LIMIT))
    target, stop = Target(base), asyncio.Event()
    load = Load(f"{args.reporters} reporters, onemap killed")
    loading = asyncio.create_task(report(target, district.points, args.reporters, stop, load))
    await asyncio.sleep(args.before_seconds)
    os.kill(server_pid(base), signal.SIGKILL)
    killed = _now()
    acknowledged_at_kill = len(load.acknowledged)
    target.base = await asyncio.to_thread(
        servers.enter_context, served(district.url, env=NO_REPORT_LIMIT)
    )
    restarted = _now() - killed
    await asyncio.sleep(args.after_seconds)
    stop.set()
    await loading
    print(load.line())
    print(
        f"  killed with {acknowledged_at_kill:,} reports acknowledged; a new server answered"
        f" {restarted:.1f} s later; {len(load.acknowledged) - acknowledged_at_kill:,} since"
    )
    return check_load(district.url, district.last_demo_event, [load])


def crash(args: argparse.Namespace) -> bool:
    print("\n== crash: onemap killed with SIGKILL mid-import and mid-load")
    with demo_district(admin_url(), "onemap_bench_faults_crash") as district:
        imported = _crashed_imports(district.url)
        with ExitStack() as servers:
            loaded = asyncio.run(_crashed_load(district, args, servers))
    return imported and loaded


# -- slow clients ------------------------------------------------------------------------


async def _trickle(base: str, body: bytes, chunked: bool, stop: asyncio.Event) -> bool:
    """Send a report's head, then its body a few bytes a second until ``stop``; whether
    the server still held the connection open at the end."""
    client = Client(base)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    writer.write(
        f"POST {REPORTS_PATH} HTTP/1.1\r\nHost: {client.host}:{client.port}\r\n"
        f"Content-Type: application/geo+json\r\n{framing}\r\n\r\n".encode("ascii")
    )
    sent = 0
    try:
        while not stop.is_set() and sent < len(body):
            piece = body[sent : sent + TRICKLE_BYTES]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            sent += len(piece)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return not reader.at_eof()
    except CONNECTION_ERRORS:
        return False
    finally:
        writer.close()


async def _normal_client(
    base: str, points: list[tuple[float, float]], seconds: float
) -> list[float]:
    """Latencies (s) of one client sending reports one after another for ``seconds``."""
    client, latencies = Client(base), []
    began = _now()
    try:
        while _now() - began < seconds:
            sent = _now()
            answer = await asyncio.wait_for(
                client.post(REPORTS_PATH, report_body(points), uuid.uuid4().hex), 30
            )
            if answer.status != 201:
                raise RuntimeError(f"the normal client was answered {answer.status}")
            latencies.append(_now() - sent)
    finally:
        client.close()
    return latencies


async def _slow(district: District, base: str, args: argparse.Namespace) -> bool:
    points = district.points
    await _normal_client(base, points, 2)  # warm-up
    alone = await _normal_client(base, points, args.normal_seconds)
    stop = asyncio.Event()
    # a long description: the body outlasts the measurement at a few bytes a second
    body = json.dumps(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(points[0])},
            "properties": {"category": "0101", "description": "慢" * 2000},
        },
        ensure_ascii=False,
    ).encode()
    trickling = [
        asyncio.create_task(_trickle(base, body, number % 2 == 1, stop))
        for number in range(args.slow_clients)
    ]
    await asyncio.sleep(3)  # every slow client connected and sending
    beside = await _normal_client(base, points, args.normal_seconds)
    stop.set()
    held = sum(await asyncio.gather(*trickling))
    for label, latencies in (("alone", alone), (f"beside {args.slow_clients} slow", beside)):
        print(
            f"  normal client {label:<16} {len(latencies):5d} reports"
            f"  p50 {percentile(latencies, 0.5) * 1000:7.1f} ms"
            f"  max {max(latencies) * 1000:7.1f} ms"
        )
    print(f"  slow clients still connected and sending at the end: {held} of {args.slow_clients}")
    longest = max(beside)
    return verdict(
        f"the normal client served within {SLOW_LIMIT_S:.0f} s beside the slow clients",
        longest <= SLOW_LIMIT_S,
        f"longest {longest * 1000:.0f} ms",
    )


def slow(args: argparse.Namespace) -> bool:
    print(f"\n== slow: {args.slow_clients} clients trickling their bodies")
    with (
        demo_district(admin_url(), "onemap_bench_faults_slow") as district,
        served(district.url, env=NO_REPORT_LIMIT) as base,
    ):
        return asyncio.run(_slow(district, base, args))


SCENARIOS = {"outage": outage, "crash": crash, "slow": slow}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append")
    parser.add_argument("--reporters", type=int, default=100)
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--before-seconds", type=float, default=10.0)
    parser.add_argument("--after-seconds", type=float, default=15.0)
    parser.add_argument("--slow-clients", type=int, default=60)
    parser.add_argument("--normal-seconds", type=float, default=10.0)
    args = parser.parse_args()
    results = {name: SCENARIOS[name](args) for name in args.only or SCENARIOS}
    print("\n" + "  ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
