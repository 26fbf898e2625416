"""The benchmark suite (issue 15): every figure beside its named baseline, measured in the
same invocation on the same databases, at district and city scale and the city doubled,
printed as one table with ratios, goals and PASS/FAIL, then the growth of each cost with
the data.

    make bench                                    # everything, short settings
    make bench BENCH_ARGS="--only features,points --scales district,city"
    .venv/bin/python -m bench.suite [--only FIGURES] [--scales SCALES] [--seconds 15]
        [--runs 1] [--workers 2] [--keep] [--reuse]

Figures (``--only``): features (bench/bench_features.py: onemap vs tipg vs bare SQL),
tiles (bench/bench_tiles.py), map (bench/bench_map.py: the page from tiles vs GeoJSON),
points (bench/bench_points.py), demo_load, ingest, audit,
service_areas (the earlier benches' own functions, with short settings). Scales
(``--scales``): district, city, city2 (the city doubled; bench/scales.py). Each scale's
database is built once and shared by every figure; ``--keep`` leaves them for a later
``--reuse`` (the city takes minutes to load).

What a figure does not apply to is left out and said so: the demo load and service areas
are not measured on the city doubled (it is two copies of the city's places, not a
demo load, and has the city's network and centres only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

import psycopg

from app.commands.launch import served
from bench import bench_features, bench_map, bench_points, bench_tiles, scales
from bench.harness import NO_REPORT_LIMIT, admin_url, scattered_points

FIGURES = (
    "features",
    "tiles",
    "map",
    "points",
    "demo_load",
    "ingest",
    "audit",
    "service_areas",
)
# Each figure's growth: which of its numbers to follow across scales, in what unit.
GROWTH_UNIT = {
    "features": "ms/request",
    "tiles": "ms p95",
    "map": "ms p95 a move",
    "points": "s",
    "audit": "s",
    "ingest": "ms/report",
}


def _row(
    figure: str,
    scale: str,
    onemap: str,
    baseline: str = "–",
    ratio: str = "–",
    goal: str = "–",
    passed: bool | None = None,
) -> dict:
    return dict(
        figure=figure,
        scale=scales.LABELS[scale],
        onemap=onemap,
        baseline=baseline,
        ratio=ratio,
        goal=goal,
        passed=passed,
    )


def demo_load(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    """The demo load's time (taken as the scale's database was built, without service
    areas), and at district the buildings' COPY beside one INSERT a row."""
    from bench.bench_demo_load import _building_rows, _write_seconds

    out = []
    seconds = scales.LOAD_SECONDS.get(scale)
    target = {"district": 60.0, "city": 600.0}.get(scale)
    if scale == "city2" or target is None:
        return [], None
    if seconds is None:
        out.append(
            _row(
                "demo load (no service areas)", scale, "reused: not timed", goal=f"< {target:.0f} s"
            )
        )
    else:
        out.append(
            _row(
                "demo load (no service areas)",
                scale,
                f"{seconds:.0f} s",
                goal=f"< {target:.0f} s",
                passed=seconds < target,
            )
        )
    if scale == "district":
        rows = _building_rows()
        bulk = statistics.median(_write_seconds(url, rows, True) for _ in range(args.runs))
        each = statistics.median(_write_seconds(url, rows, False) for _ in range(args.runs))
        print(
            f"[district] {len(rows):,} buildings: COPY {bulk:.2f} s, one INSERT each {each:.2f} s"
        )
        out.append(
            _row(
                f"{len(rows):,} buildings written",
                scale,
                f"COPY {bulk:.2f} s",
                f"INSERT a row {each:.2f} s",
                f"{each / bulk:.1f}×",
            )
        )
    return out, seconds


def ingest(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    """POST /api/v1/events from 50 clients beside one client (bench_ingest's client)."""
    from bench.bench_ingest import TARGET_P99_MS, TARGET_RATE, _send

    points = scattered_points(url, 20000)
    with served(url, workers=1, env={**NO_REPORT_LIMIT, "ONEMAP_POOL_MAX_SIZE": "50"}) as base:
        asyncio.run(_send(base, 50, 300, points, "warm-up"))
        one = asyncio.run(_send(base, 1, 200, points, "1 client"))
        many = asyncio.run(_send(base, 50, 1000 * args.runs, points, "50 clients"))
    p99 = many.percentile(0.99)
    print(
        f"[{scales.LABELS[scale]}] ingest: 50 clients {many.rate:.0f} reports/s, p99 {p99:.0f} ms"
        f" ({many.errors} errors); 1 client {one.rate:.0f}/s, p99 {one.percentile(0.99):.0f} ms"
    )
    return [
        _row(
            "reports POSTed/s (p99)",
            scale,
            f"{many.rate:.0f}/s ({p99:.0f} ms)",
            f"1 client {one.rate:.0f}/s ({one.percentile(0.99):.0f} ms)",
            f"{many.rate / one.rate:.1f}×" if one.rate else "–",
            f"≥ {TARGET_RATE:.0f}/s, p99 < {TARGET_P99_MS:.0f} ms",
            many.rate >= TARGET_RATE and p99 < TARGET_P99_MS and not many.errors,
        ),
    ], 1000 / many.rate if many.rate else None


def audit(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    """The grid audit; at district beside bench_audit's naive formulation."""
    from bench.bench_audit import _audit, _naive

    seconds = statistics.median(_audit(url)[0] for _ in range(args.runs))
    print(f"[{scales.LABELS[scale]}] grid audit {seconds:.2f} s")
    if scale == "district":
        naive, _ = _naive(url)
        print(f"[district] naive overlap and building checks {naive:.1f} s")
        return [
            _row(
                "grid audit",
                scale,
                f"{seconds:.2f} s",
                f"naive {naive:.1f} s",
                f"{naive / seconds:.0f}×",
            )
        ], seconds
    return [
        _row("grid audit", scale, f"{seconds:.2f} s", goal="< 60 s", passed=seconds < 60)
    ], seconds


def service_areas(
    url: str, scale: str, args: argparse.Namespace
) -> tuple[list[dict], float | None]:
    """Every centre's areas, and the pgRouting walk beside networkx (bench_service_areas)."""
    from bench.bench_service_areas import _centres, _networkx, _walk_seconds
    from gis.access import compute_service_areas

    if scale == "city2":
        return [], None
    with psycopg.connect(url) as conn:
        if scale == "city":  # Nanning's 260 community and 659 compound centres, as that bench
            centres = _centres(conn)
        else:
            centres = [r[0] for r in conn.execute("SELECT center_id FROM service_centers")]
        walk_s = _walk_seconds(conn, centres)
        conn.commit()
        started = time.perf_counter()
        compute_service_areas(conn, center_ids=centres, workers=max(2, os.cpu_count() or 1))
        whole = time.perf_counter() - started
        baseline = _networkx(conn, centres)
    nx_s = baseline["no_cutoff_s"]
    print(
        f"[{scales.LABELS[scale]}] service areas of {len(centres)} centres {whole:.1f} s;"
        f" the walk {walk_s:.2f} s, networkx Dijkstra {nx_s:.1f} s (from {baseline['sample']}"
        f" centres), with cutoff {baseline['with_cutoff_s']:.2f} s"
    )
    return [
        _row(
            f"service areas, {len(centres)} centres",
            scale,
            f"{whole:.1f} s",
            goal="< 60 s",
            passed=whole < 60,
        ),
        _row(
            "walk from every centre",
            scale,
            f"pgRouting {walk_s:.2f} s",
            f"networkx Dijkstra {nx_s:.1f} s",
            f"{nx_s / walk_s:.0f}×",
            "≥ 10×",
            nx_s / walk_s >= 10,
        ),
    ], whole


def features(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    result = bench_features.run(url, scale, seconds=args.seconds, clients=20, workers=args.workers)
    return bench_features.rows(result), 1000 / result.onemap.rate if result.onemap.rate else None


def tiles(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    result = bench_tiles.run(url, scale, per_zoom=30, seconds=args.seconds, workers=args.workers)
    grids = result.onemap["grids"]
    return bench_tiles.rows(result), grids.p95 if grids.served else None


def map_page(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    result = bench_map.run(url, scale, workers=args.workers)
    return bench_map.rows(result), result.modes["tiles"].move_p95_ms


def points(url: str, scale: str, args: argparse.Namespace) -> tuple[list[dict], float | None]:
    result = bench_points.run(url, scale, runs=args.runs)
    return bench_points.rows(result), result.postgis_s


RUNNERS: dict[str, Callable[[str, str, argparse.Namespace], tuple[list[dict], float | None]]] = {
    "features": features,
    "tiles": tiles,
    "map": map_page,
    "points": points,
    "demo_load": demo_load,
    "ingest": ingest,
    "audit": audit,
    "service_areas": service_areas,
}


def growth_rows(costs: dict[str, dict[str, float]], sizes: dict[str, dict[str, int]]) -> list[dict]:
    """For each figure measured at two scales or more: its cost at each, the slope per
    100,000 buildings (least squares over the scales) and the ratio doubled/city."""
    out = []
    for figure, by_scale in costs.items():
        measured = [s for s in scales.SCALES if s in by_scale and by_scale[s] is not None]
        if len(measured) < 2:
            continue
        xs = [sizes[s]["buildings"] / 1e5 for s in measured]
        ys = [by_scale[s] for s in measured]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        unit = GROWTH_UNIT.get(figure, "s")
        doubled = (
            f"{by_scale['city2'] / by_scale['city']:.2f}×"
            if "city2" in measured and "city" in measured and by_scale["city"]
            else "–"
        )
        out.append(
            dict(
                figure=f"growth: {figure} ({unit})",
                scale="→".join(scales.LABELS[s] for s in measured),
                onemap=" → ".join(f"{y:.3g}" for y in ys),
                baseline=f"slope {slope:+.3g} {unit} per 100k buildings",
                ratio=f"doubled/city {doubled}",
                goal="–",
                passed=None,
            )
        )
    return out


def print_table(rows: list[dict]) -> None:
    heads = ("figure", "scale", "onemap", "baseline", "ratio", "goal", "")
    cells = [
        (
            r["figure"],
            r["scale"],
            r["onemap"],
            r["baseline"],
            r["ratio"],
            r["goal"],
            "–" if r["passed"] is None else ("PASS" if r["passed"] else "FAIL"),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(FIGURES), help=",".join(FIGURES))
    parser.add_argument("--scales", default="district,city,city2", help="district,city,city2")
    parser.add_argument("--seconds", type=float, default=15.0, help="each load's duration")
    parser.add_argument("--runs", type=int, default=1, help="runs of the timed steps (median)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes, the same for onemap and tipg",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases a --keep left")
    args = parser.parse_args()
    figures = [f for f in args.only.split(",") if f]
    wanted = [s for s in args.scales.split(",") if s]
    for name in figures:
        if name not in RUNNERS:
            parser.error(f"no figure {name!r}: choose from {', '.join(FIGURES)}")
    for scale in wanted:
        if scale not in scales.SCALES:
            parser.error(f"no scale {scale!r}: choose from {', '.join(scales.SCALES)}")
    wanted.sort(key=scales.SCALES.index)
    started = time.perf_counter()
    rows: list[dict] = []
    costs: dict[str, dict[str, float]] = {}
    sizes: dict[str, dict[str, int]] = {}
    with scales.databases(admin_url(), wanted, keep=args.keep, reuse=args.reuse) as urls:
        for scale in wanted:
            sizes[scale] = scales.counts(urls[scale])
            print(
                f"[{scales.LABELS[scale]}] {sizes[scale]['grids']:,} grids,"
                f" {sizes[scale]['buildings']:,} buildings"
            )
            for name in figures:
                try:
                    figure_rows, cost = RUNNERS[name](urls[scale], scale, args)
                except Exception as error:  # one figure failing leaves the others standing
                    print(f"[{scales.LABELS[scale]}] {name} FAILED: {error!r}")
                    figure_rows, cost = [_row(name, scale, f"error: {error}", passed=False)], None
                rows += [{**r, "_figure": name} for r in figure_rows]
                if cost is not None:
                    costs.setdefault(name, {})[scale] = cost
    rows.sort(key=lambda r: figures.index(_figure_of(r, figures)))
    rows += growth_rows(costs, sizes)
    print()
    print(
        f"onemap benchmark suite, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" {os.cpu_count()} cores, {args.workers} server processes, {args.seconds:.0f} s loads,"
        f" {args.runs} run(s); took {(time.perf_counter() - started) / 60:.0f} min"
    )
    print_table(rows)


def _figure_of(row: dict, figures: list[str]) -> str:
    """Which figure a row came from (rows keep their scale order within a figure)."""
    return row.get("_figure", figures[0])


if __name__ == "__main__":
    main()
