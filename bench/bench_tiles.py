"""Vector tiles (issue 15): onemap's tiles z10–z16 beside tipg's for the same tiles, a grid
tile's warm p95, and cached answers (``If-None-Match`` → 304) a second.

    .venv/bin/python -m bench.bench_tiles [--scales district,city] [--per-zoom 30]
        [--seconds 10] [--workers 2] [--keep] [--reuse]

Usually run by ``make bench`` (bench/suite.py); alone it builds the databases of the
scales it is given (bench/scales.py) and drops them unless --keep.

* The tiles: for each zoom 10–16, up to ``--per-zoom`` distinct tiles holding the
  points on surface of buildings drawn at random, so the sample is weighted to where the
  data is (a dense quarter gives more tiles than an empty hill).
* onemap: ``/ogc/collections/{grids,buildings}/tiles/WebMercatorQuad/{z}/{x}/{y}``;
  tipg (.venv-tipg, as many uvicorn processes): ``/collections/public.{grids,buildings}/
  tiles/WebMercatorQuad/{z}/{x}/{y}``. The servers run side by side: each gets one
  unmeasured pass over the sample (warm), then three rounds in which each tile is asked
  of every server in turn, one request at a time on a keep-alive connection each
  (http.client: no load generator in the way); a tile's latency is the median of its
  rounds, p50/p95 over the tiles per collection; onemap beside tipg over the tiles both
  drew (200): onemap leaves buildings out below z15 (204).
* onemap is measured twice: building every tile asked for (``ONEMAP_TILE_CACHE_MB=0``:
  the query's own cost, beside tipg's) and as it runs by default, its processes keeping
  the tiles they built by ETag (the measured pass then finds them built by the warm one).
* Cached: each grid tile's ETag sent back in ``If-None-Match``; every tile must answer
  304, then wrk (20 connections) cycles through them for ``--seconds``.

Until onemap serves tiles (the route answering 404) the onemap columns say "not
served"; until tiles carry an ETag the cached figure says "no ETag".
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import psycopg

from app.commands.launch import served
from bench import scales
from bench.bench_features import Load, tipg_served
from bench.harness import admin_url, percentile

ZOOMS = range(10, 17)
COLLECTIONS = ("grids", "buildings")
GOAL_RATIO, GOAL_GRID_MS, GOAL_CACHED = 0.5, 10.0, 5000.0
# Each tile is asked this many times of each server; its latency is their median.
ROUNDS = 3
ONEMAP_TILE = "/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}"
TIPG_TILE = "/collections/public.{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}"

# wrk with each tile's ETag in If-None-Match, cycling through the tiles.
WRK_CONDITIONAL = """
local tiles = {%s}
local i = 0
init = function(args) i = math.random(#tiles) end
request = function()
  i = i %% #tiles + 1
  return wrk.format("GET", tiles[i][1], {["If-None-Match"] = tiles[i][2]})
end
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The WebMercatorQuad tile (z, x, y) holding a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def sample(url: str, per_zoom: int) -> list[tuple[int, int, int]]:
    """Up to ``per_zoom`` distinct tiles a zoom, weighted to where the buildings are."""
    with psycopg.connect(url) as conn:
        points = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings"
            " ORDER BY md5(building_code || 'tiles') LIMIT %s) AS s",
            (per_zoom * 20,),
        ).fetchall()
    tiles: list[tuple[int, int, int]] = []
    for z in ZOOMS:
        seen: dict[tuple[int, int, int], None] = {}
        for lon, lat in points:
            seen.setdefault(tile_of(lon, lat, z))
            if len(seen) == per_zoom:
                break
        tiles += list(seen)
    return tiles


@dataclass
class Timing:
    """One server's pass over the sample for one collection."""

    served: bool
    latencies_ms: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)  # each tile's status, in sample order
    statuses: dict[int, int] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)  # path → ETag

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)


def timed_pass(base: str, paths: list[str]) -> Timing:
    """Each path once, in order, on one keep-alive connection (the warm-up is the
    caller's). A 404 on the first path means the route is not served."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    timing = Timing(served=True)
    try:
        for path in paths:
            started = time.perf_counter()
            connection.request("GET", path)
            answer = connection.getresponse()
            answer.read()
            timing.latencies_ms.append(1000 * (time.perf_counter() - started))
            timing.codes.append(answer.status)
            timing.statuses[answer.status] = timing.statuses.get(answer.status, 0) + 1
            if answer.status == 404 and path == paths[0]:
                return Timing(served=False)
            if answer.getheader("ETag"):
                timing.etags[path] = answer.getheader("ETag") or ""
    finally:
        connection.close()
    return timing


def conditional_answers(base: str, etags: dict[str, str]) -> dict[int, int]:
    """Statuses of each path asked again with its ETag in If-None-Match."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    statuses: dict[int, int] = {}
    try:
        for path, etag in etags.items():
            connection.request("GET", path, headers={"If-None-Match": etag})
            answer = connection.getresponse()
            answer.read()
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
    finally:
        connection.close()
    return statuses


def cached_rate(base: str, etags: dict[str, str], seconds: float, clients: int = 20) -> Load:
    script = WRK_CONDITIONAL % ", ".join(
        f"{{{json.dumps(path)}, {json.dumps(etag)}}}" for path, etag in etags.items()
    )
    # wrk() takes paths; a conditional run needs its own script, so it is run here.
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + _DONE)
    try:
        threads = max(1, os.cpu_count() or 1)
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s",
             "-s", handle.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(handle.name)
    result = json.loads(out.strip().splitlines()[-1])
    return Load(
        "onemap 304s",
        result["requests"] / (result["duration_us"] / 1e6),
        result["p50_us"] / 1000,
        result["p95_us"] / 1000,
        result["requests"],
        result["errors"] + result["non_2xx"],
    )


# The same summary line as bench_features' wrk script.
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d,'
    .. ' "errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Result:
    scale: str
    tiles: int
    # onemap with its processes keeping the tiles they built (the default), and building
    # every tile asked for (ONEMAP_TILE_CACHE_MB=0): the query's own cost
    onemap: dict[str, Timing]
    built: dict[str, Timing]
    tipg: dict[str, Timing]
    cached: Load | None
    cached_note: str


class Client:
    """One keep-alive connection to a server, timing one request at a time."""

    def __init__(self, base: str, template: str) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.template = template

    def get(self, name: str, tile: tuple[int, int, int]) -> tuple[float, int]:
        z, x, y = tile
        started = time.perf_counter()
        self.connection.request("GET", self.template.format(collection=name, z=z, x=x, y=y))
        answer = self.connection.getresponse()
        answer.read()
        return 1000 * (time.perf_counter() - started), answer.status


def _interleaved(
    servers: dict[str, Client], tiles: list[tuple[int, int, int]], rounds: int
) -> dict[str, dict[str, Timing]]:
    """Each server's timing of each collection's tiles, measured side by side: a warm
    pass, then ``rounds`` passes in which every tile is asked of every server in turn
    (the order turning with the tile), each tile's latency the median of its rounds.

    The machine is shared: a burst of someone else's work lands on whichever server is
    being asked at the time. Asking the servers one after another tile by tile gives
    each the same weather, and the median of a tile's rounds drops a single hiccup."""
    out: dict[str, dict[str, Timing]] = {who: {} for who in servers}
    order = list(servers)
    for name in COLLECTIONS:
        seen: dict[str, list[list[float]]] = {who: [[] for _ in tiles] for who in servers}
        codes: dict[str, list[int]] = {who: [0] * len(tiles) for who in servers}
        # round 0 warms (and, asked in turn, no connection idles past its keep-alive)
        for measured in [False] + [True] * rounds:
            for i, tile in enumerate(tiles):
                turn = i % len(order)
                for who in order[turn:] + order[:turn]:
                    latency, code = servers[who].get(name, tile)
                    codes[who][i] = code
                    if measured:
                        seen[who][i].append(latency)
        for who in servers:
            if codes[who][0] == 404:
                out[who][name] = Timing(served=False)
                continue
            timing = Timing(served=True, codes=codes[who])
            timing.latencies_ms = [statistics.median(each) for each in seen[who]]
            for code in codes[who]:
                timing.statuses[code] = timing.statuses.get(code, 0) + 1
            out[who][name] = timing
    return out


def both_drawn(ours: Timing, theirs: Timing) -> tuple[float, float, int]:
    """p95 of each over the tiles both answered with content (200): onemap leaves some
    layers out at some zooms (buildings below z15: 204), tipg draws every layer at every
    zoom, so only tiles both drew compare like for like."""
    pairs = [
        (a, b)
        for a, b, code_a, code_b in zip(
            ours.latencies_ms, theirs.latencies_ms, ours.codes, theirs.codes, strict=True
        )
        if code_a == code_b == 200
    ]
    return (
        percentile([a for a, _ in pairs], 0.95),
        percentile([b for _, b in pairs], 0.95),
        len(pairs),
    )


def _describe(who: str, timings: dict[str, Timing]) -> None:
    for name, timing in timings.items():
        if not timing.served:
            print(f"  {who} tiles: not served ({name}: 404)")
            continue
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(timing.statuses.items()))
        print(
            f"  {who} {name} tiles: p50 {timing.p50:.1f} ms, p95 {timing.p95:.1f} ms,"
            f" max {max(timing.latencies_ms):.0f} ms (answers {statuses})"
        )


def run(
    url: str, scale: str, *, per_zoom: int, seconds: float, workers: int, rounds: int = ROUNDS
) -> Result:
    tiles = sample(url, per_zoom)
    print(
        f"[{scales.LABELS[scale]}] {len(tiles)} tiles z{ZOOMS[0]}–z{ZOOMS[-1]} where the"
        f" buildings are; warm pass, then {rounds} rounds of one request at a time, the"
        f" servers asked in turn tile by tile; {workers} server processes"
    )
    cached, note = None, ""
    # The latencies are one request at a time, so one process serves them: the tiles a
    # process keeps are its own, and a second process would find the warm pass's tiles
    # in the first one's memory half of the time.
    with (
        served(url, workers=1, env={"ONEMAP_TILE_CACHE_MB": "0"}) as built_base,
        served(url, workers=1) as kept_base,
        tipg_served(url, workers, tables=COLLECTIONS) as tipg_base,
    ):
        timings = _interleaved(
            {
                "built": Client(built_base, ONEMAP_TILE),
                "kept": Client(kept_base, ONEMAP_TILE),
                "tipg": Client(tipg_base, TIPG_TILE),
            },
            tiles,
            rounds,
        )
    built, ours, theirs = timings["built"], timings["kept"], timings["tipg"]
    _describe("onemap (every tile built)", built)
    _describe("onemap (tiles kept)", ours)
    _describe("tipg", theirs)
    if not ours["grids"].served:
        note = "not served"
    else:
        with served(url, workers=workers) as base:
            # an ETag names its server's URL: these processes give their own
            paths = [ONEMAP_TILE.format(collection="grids", z=z, x=x, y=y) for z, x, y in tiles]
            etags = timed_pass(base, paths).etags
            statuses = conditional_answers(base, etags)
            if not etags:
                note = "no ETag"
            elif set(statuses) != {304}:
                note = f"If-None-Match answered {statuses}, not 304"
            else:
                cached = cached_rate(base, etags, seconds)
    if cached:
        print("  cached grid tiles (If-None-Match → 304): " + cached.line())
    else:
        print(f"  cached grid tiles: {note}")
    return Result(scale, len(tiles), ours, built, theirs, cached, note)


def _tile_rows(label: str, how: str, ours: Timing, theirs: Timing, name: str) -> dict:
    base = f"tipg {theirs.p95:.1f} ms" if theirs.served else "tipg: not served"
    if not ours.served:
        return dict(
            figure=f"{name} tiles p95, {how}",
            scale=label,
            onemap="not served",
            baseline=base,
            ratio="–",
            goal="≤ ½ tipg",
            passed=None,
        )
    if theirs.served:
        ours_p95, theirs_p95, drawn = both_drawn(ours, theirs)
        base = f"tipg {theirs_p95:.1f} ms"
    else:
        ours_p95, theirs_p95, drawn = ours.p95, 0.0, len(ours.codes)
    ratio = ours_p95 / theirs_p95 if theirs_p95 else math.inf
    return dict(
        figure=f"{name} tiles p95, {how} ({drawn} drawn by both)",
        scale=label,
        onemap=f"{ours_p95:.1f} ms",
        baseline=base,
        ratio=f"{ratio:.2f}×",
        goal="≤ ½ tipg",
        passed=ratio <= GOAL_RATIO,
    )


def rows(result: Result) -> list[dict]:
    label = scales.LABELS[result.scale]
    out = []
    for name in COLLECTIONS:
        theirs = result.tipg[name]
        out.append(_tile_rows(label, "each built", result.built[name], theirs, name))
        out.append(_tile_rows(label, "kept by the process", result.onemap[name], theirs, name))
    grids = result.onemap["grids"]
    out.append(
        dict(
            figure="grid tile warm p95",
            scale=label,
            onemap=f"{grids.p95:.1f} ms" if grids.served else "not served",
            baseline="–",
            ratio="–",
            goal=f"< {GOAL_GRID_MS:.0f} ms",
            passed=grids.p95 < GOAL_GRID_MS if grids.served else None,
        )
    )
    cached = result.cached
    out.append(
        dict(
            figure="cached tiles (304)/s",
            scale=label,
            onemap=f"{cached.rate:,.0f}/s" if cached else result.cached_note,
            baseline="–",
            ratio="–",
            goal=f"≥ {GOAL_CACHED:,.0f}/s",
            passed=cached.rate >= GOAL_CACHED if cached else None,
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="district", help="district,city,city2")
    parser.add_argument("--per-zoom", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases a --keep left")
    args = parser.parse_args()
    wanted = args.scales.split(",")
    with scales.databases(admin_url(), wanted, keep=args.keep, reuse=args.reuse) as urls:
        for scale in wanted:
            result = run(
                urls[scale],
                scale,
                per_zoom=args.per_zoom,
                seconds=args.seconds,
                workers=args.workers,
            )
            for row in rows(result):
                print(row)


if __name__ == "__main__":
    main()
