"""Feature pages under load (issue 15): bbox pages of about 1,000 buildings, limit=1000, 20
concurrent clients for a fixed time, from onemap, from tipg serving the same table, and
the same FeatureCollection built by bare SQL through pgbench (the ceiling).

    .venv/bin/python -m bench.bench_features [--scales district,city] [--seconds 20]
        [--clients 20] [--workers 2] [--keep] [--reuse]

Usually run by ``make bench`` (bench/suite.py); alone it builds the databases of the
scales it is given (bench/scales.py) and drops them unless --keep.

* The bboxes: 40 buildings drawn at random, each the centre of a square whose half side
  is √π/2 times the distance to its 1,000th nearest building (a square of the disc's
  area), so each holds about 1,000 buildings; their exact counts are printed. All three
  servers are sent the same bboxes in the same order.
* onemap: ``/ogc/collections/buildings/items?bbox=…&limit=1000`` from uvicorn with
  ``--workers`` processes; tipg (PyPI, its own venv .venv-tipg) from uvicorn with as many
  processes, serving ``public.buildings`` with onemap's properties, at
  ``/collections/public.buildings/items?bbox=…&limit=1000``. Both connect as the service
  role, onemap_service.
* The load generator is wrk (C, one thread a core), its Lua script cycling through the
  bboxes; the CPU it used per request is printed, to show it is not what sets the pace.
* The three loads run in turn, three rounds of the set time each, onemap and tipg
  serving throughout: each figure is its median round (every round's rate printed beside
  it), so a burst of the shared machine's other work skews one round, not the ratio.
* bare SQL: pgbench, one script per bbox (the corners as variables), each running the
  query that builds onemap's FeatureCollection (the same features, geometry and
  properties, numberMatched) and nothing else: no HTTP, no Python.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.commands.launch import free_port, served
from bench import scales
from bench.harness import admin_url, percentile
from gis.crs import CRS84
from gis.db import SERVICE_ROLE
from gis.ogc.collections import Collection
from gis.ogc.features import _feature_id, _geometry, _properties, collection

ROOT = Path(__file__).resolve().parents[1]
TIPG_PYTHON = ROOT / ".venv-tipg" / "bin" / "python"
BUILDINGS_PER_BBOX = 1000
# Each load is run this many times, in turn with the others; the median round counts.
ROUNDS = 3
BBOXES = 40
GOAL_TIPG, GOAL_CEILING = 10.0, 0.5

# wrk: each thread cycles through the paths from its own starting point; at the end, one
# JSON line with what the summary and latency histogram say.
WRK_SCRIPT = """
local paths = {%s}
local i = 0
init = function(args) i = math.random(#paths) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d,'
    .. ' "errors": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Load:
    """What a load generator measured: requests a second and latency percentiles (ms)."""

    name: str
    rate: float
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int
    client_cpu_ms: float = 0.0  # the load generator's CPU per request

    def line(self) -> str:
        cpu = (
            f", load generator {self.client_cpu_ms:.2f} ms CPU/request"
            if self.client_cpu_ms
            else ""
        )
        return (
            f"{self.name}: {self.rate:,.1f} requests/s, p50 {self.p50_ms:.1f} ms,"
            f" p95 {self.p95_ms:.1f} ms ({self.requests:,} requests, {self.errors} errors{cpu})"
        )


def bboxes(url: str, count: int = BBOXES, target: int = BUILDINGS_PER_BBOX) -> list[tuple]:
    """``count`` bboxes over the buildings holding about ``target`` each (found in SQL: see
    the module docstring), with the number each holds: (west, south, east, north, n)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            WITH centre AS (
                SELECT ST_PointOnSurface(geom) AS point FROM buildings
                ORDER BY md5(building_code) LIMIT %(count)s
            ), square AS (
                SELECT point, sqrt(pi()) / 2 * (
                    SELECT ST_Distance(b.geom, centre.point) FROM buildings AS b
                    ORDER BY b.geom <-> centre.point OFFSET %(target)s - 1 LIMIT 1
                ) AS half FROM centre
            ), box AS (
                SELECT ST_Expand(point, half) AS envelope FROM square
            )
            SELECT ST_XMin(envelope), ST_YMin(envelope), ST_XMax(envelope), ST_YMax(envelope),
                   (SELECT count(*) FROM buildings WHERE ST_Intersects(geom, envelope))
            FROM box
            """,
            {"count": count, "target": target},
        ).fetchall()
    return [(round(w, 6), round(s, 6), round(e, 6), round(n, 6), int(k)) for w, s, e, n, k in rows]


def bbox_query(url: str) -> str:
    """The bare-SQL FeatureCollection of buildings in the bbox :w :s :e :n (pgbench's
    variables): onemap's features, geometry and properties, and numberMatched."""
    source = collection("buildings")
    with psycopg.connect(url) as conn:
        feature = psycopg.sql.SQL(
            "json_build_object('type', 'Feature', 'id', {}, 'geometry', {}, 'properties', {})"
        ).format(_feature_id(source), _geometry(CRS84), _properties(source))
        feature_sql = feature.as_string(conn)
    envelope = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
    return (
        "SELECT json_build_object('type', 'FeatureCollection',"
        f" 'numberMatched', (SELECT count(*) FROM buildings WHERE ST_Intersects(geom, {envelope})),"
        " 'numberReturned', count(*),"
        f" 'features', coalesce(json_agg({feature_sql.replace('feature_row.', '')}"
        " ORDER BY building_code), '[]'::json))::text"
        f" FROM (SELECT {', '.join(_columns(source))} FROM buildings"
        f" WHERE ST_Intersects(geom, {envelope}) ORDER BY building_code LIMIT 1000) AS page;"
    )


def _columns(source: Collection) -> list[str]:
    """The columns the features are built from (their id, properties and geometry): the
    page reads nothing else of the rows, as onemap's own statement does not."""
    # a property is its column, or an expression of it (the codes' rtrim)
    named = [p.name for p in source.properties if p.expression is None or p.name in p.expression]
    return list(dict.fromkeys([source.id_column, *named, "geom"]))


def service_url(url: str) -> str:
    """``url`` as the service role (what onemap serves with; tipg and pgbench too)."""
    return make_conninfo(url, user=SERVICE_ROLE)


def wrk(base: str, paths: list[str], seconds: float, clients: int, name: str) -> Load:
    """Run wrk against ``base`` cycling ``paths``; the load generator's CPU is measured
    from its rusage."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (Debian package wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        threads = min(clients, max(1, os.cpu_count() or 1))
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s",
             "--timeout", "30s", "-s", script.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    requests = max(1, result["requests"])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Load(
        name,
        result["requests"] / (result["duration_us"] / 1e6),
        result["p50_us"] / 1000,
        result["p95_us"] / 1000,
        result["requests"],
        result["errors"] + result["non_2xx"],
        1000 * cpu / requests,
    )


def pgbench(url: str, boxes: list[tuple], seconds: float, clients: int) -> Load:
    """The bare-SQL ceiling: pgbench with one script per bbox, picked at random."""
    query = bbox_query(url)
    dsn = conninfo_to_dict(service_url(url))
    with tempfile.TemporaryDirectory() as folder:
        scripts = []
        for i, (w, s, e, n, _) in enumerate(boxes):
            path = Path(folder) / f"bbox{i}.sql"
            path.write_text(f"\\set w {w}\n\\set s {s}\n\\set e {e}\n\\set n {n}\n{query}\n")
            scripts += ["-f", str(path)]
        command = [
            "pgbench", "-n", "-M", "prepared", "-c", str(clients),
            "-j", str(min(clients, os.cpu_count() or 1)), "-T", f"{seconds:.0f}",
            "-l", "--log-prefix", str(Path(folder) / "log"),
            "-h", str(dsn.get("host", "127.0.0.1")), "-p", str(dsn.get("port", 5432)),
            "-U", str(dsn["user"]), *scripts, str(dsn["dbname"]),
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=folder).stdout
        latencies = []
        for log in Path(folder).glob("log.*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                latencies.append(int(fields[2]) / 1000)
    rate = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    return Load(
        "bare SQL (pgbench)",
        float(rate.group(1)) if rate else 0.0,
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        len(latencies),
        int(failed.group(1)) if failed else 0,
    )


@contextmanager
def tipg_served(url: str, workers: int, tables: tuple[str, ...] = ("buildings",)) -> Iterator[str]:
    """tipg from .venv-tipg on the same database, ``workers`` uvicorn processes, serving
    ``tables`` of schema public with the properties onemap serves."""
    if not TIPG_PYTHON.exists():
        raise RuntimeError(".venv-tipg is missing: `make bench` makes it")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "DATABASE_URL"))},
        "DATABASE_URL": _postgres_url(service_url(url)),
        "DB_MIN_CONN_SIZE": "1",
        "DB_MAX_CONN_SIZE": "20",
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": json.dumps([f"public.{t}" for t in tables]),
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    for table in tables:
        source = collection(table)
        # onemap's properties that are the table's own columns (onemap adds the grids'
        # statistics from another table: tipg serves the table alone)
        with psycopg.connect(url) as conn:
            columns = {
                name
                for (name,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = %s",
                    (table,),
                )
            }
        env[f"TIPG_TABLE_CONFIG__public_{table}__properties"] = json.dumps(
            [p.name for p in source.properties if p.name in columns]
        )
        env[f"TIPG_TABLE_CONFIG__public_{table}__pk"] = source.id_column
        # the features' geometry (the tables also keep points and tile outlines)
        env[f"TIPG_TABLE_CONFIG__public_{table}__geomcol"] = "geom"
    process = subprocess.Popen(
        [str(TIPG_PYTHON), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = httpx.get(f"{base}/collections", timeout=5)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tipg did not start on {base}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _postgres_url(conninfo: str) -> str:
    parts = conninfo_to_dict(conninfo)
    password = f":{parts['password']}" if parts.get("password") else ""
    return (
        f"postgresql://{parts['user']}{password}@{parts.get('host', '127.0.0.1')}:"
        f"{parts.get('port', 5432)}/{parts['dbname']}"
    )


def _paths(prefix: str, boxes: list[tuple]) -> list[str]:
    return [f"{prefix}?bbox={w},{s},{e},{n}&limit=1000" for w, s, e, n, _ in boxes]


def _check(base: str, path: str, expected: int, name: str) -> None:
    """One page fetched and counted before the load: the server answers the right thing."""
    answer = httpx.get(base + path, timeout=60)
    answer.raise_for_status()
    returned = len(answer.json()["features"])
    if returned != min(expected, 1000):
        raise RuntimeError(f"{name} returned {returned} features where {expected} lie in the bbox")


@dataclass(frozen=True)
class Result:
    scale: str
    buildings_in_bbox: float
    onemap: Load
    tipg: Load | None
    ceiling: Load | None


def run(
    url: str,
    scale: str,
    *,
    seconds: float,
    clients: int,
    workers: int,
    tipg: bool = True,
    ceiling: bool = True,
    rounds: int = ROUNDS,
) -> Result:
    """The three measurements on one database (warm: one unmeasured pass first), taken in
    turn ``rounds`` times; each the round of median rate."""
    boxes = bboxes(url)
    held = statistics.median(b[4] for b in boxes)
    print(
        f"[{scales.LABELS[scale]}] {len(boxes)} bboxes holding {min(b[4] for b in boxes):,}–"
        f"{max(b[4] for b in boxes):,} buildings (median {held:,.0f}); {clients} clients,"
        f" {seconds:.0f} s each, {workers} server processes"
    )
    warm = max(3.0, seconds / 4)
    loads: dict[str, list[Load]] = {"onemap": [], "tipg": [], "bare SQL": []}
    with served(url, workers=workers) as ours_base, _tipg_if(url, workers, tipg) as tipg_base:
        ours_paths = _paths("/ogc/collections/buildings/items", boxes)
        _check(ours_base, ours_paths[0], boxes[0][4], "onemap")
        wrk(ours_base, ours_paths, warm, clients, "warm-up")
        if tipg_base:
            tipg_paths = _paths("/collections/public.buildings/items", boxes)
            _check(tipg_base, tipg_paths[0], boxes[0][4], "tipg")
            wrk(tipg_base, tipg_paths, warm, clients, "warm-up")
        # in turn, round after round: a burst of the shared machine's other work falls on
        # one round of one of them, and the median round leaves it out
        for _ in range(rounds):
            loads["onemap"].append(wrk(ours_base, ours_paths, seconds, clients, "onemap"))
            if tipg_base:
                loads["tipg"].append(wrk(tipg_base, tipg_paths, seconds, clients, "tipg"))
            if ceiling:
                loads["bare SQL"].append(pgbench(url, boxes, seconds, clients))
    ours = _median_round(loads["onemap"])
    theirs = _median_round(loads["tipg"]) if tipg else None
    bare = _median_round(loads["bare SQL"]) if ceiling else None
    for load in (ours, theirs, bare):
        if load is not None:
            print("  " + load.line())
    return Result(scale, held, ours, theirs, bare)


def _median_round(rounds: list[Load]) -> Load:
    """The round of median rate (the middle one of three), its rounds' rates in its name."""
    ordered = sorted(rounds, key=lambda load: load.rate)
    middle = ordered[len(ordered) // 2]
    each = ", ".join(f"{load.rate:,.1f}" for load in rounds)
    return dataclasses.replace(middle, name=f"{middle.name} (median of rounds {each}/s)")


@contextmanager
def _tipg_if(url: str, workers: int, wanted: bool) -> Iterator[str | None]:
    if not wanted:
        yield None
        return
    with tipg_served(url, workers) as base:
        yield base


def rows(result: Result) -> list[dict]:
    """The suite's table rows for one scale."""
    label = scales.LABELS[result.scale]
    out = []
    ours = result.onemap
    if result.tipg:
        ratio = ours.rate / result.tipg.rate if result.tipg.rate else math.inf
        out.append(
            dict(
                figure="feature pages, req/s (p95)",
                scale=label,
                onemap=f"{ours.rate:,.0f}/s ({ours.p95_ms:.0f} ms)",
                baseline=f"tipg {result.tipg.rate:,.1f}/s ({result.tipg.p95_ms:.0f} ms)",
                ratio=f"{ratio:.1f}×",
                goal=f"≥ {GOAL_TIPG:.0f}× tipg",
                passed=ratio >= GOAL_TIPG,
            )
        )
    if result.ceiling:
        share = ours.rate / result.ceiling.rate if result.ceiling.rate else 0.0
        out.append(
            dict(
                figure="feature pages, req/s (p95)",
                scale=label,
                onemap=f"{ours.rate:,.0f}/s ({ours.p95_ms:.0f} ms)",
                baseline=f"bare SQL {result.ceiling.rate:,.0f}/s ({result.ceiling.p95_ms:.0f} ms)",
                ratio=f"{share:.2f}×",
                goal=f"≥ {GOAL_CEILING}× bare SQL",
                passed=share >= GOAL_CEILING,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="district", help="district,city,city2")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases a --keep left")
    args = parser.parse_args()
    wanted = args.scales.split(",")
    with scales.databases(admin_url(), wanted, keep=args.keep, reuse=args.reuse) as urls:
        for scale in wanted:
            for row in rows(
                run(
                    urls[scale],
                    scale,
                    seconds=args.seconds,
                    clients=args.clients,
                    workers=args.workers,
                )
            ):
                print(row)


if __name__ == "__main__":
    main()
