"""Service areas at city scale (issue 5): every 5/10/15-minute area of Nanning's 260
community and 659 compound centres on a walking network of ≥ 200,000 edges in under
60 s, the walk itself beside networkx Dijkstra on the same graph in the same run (at
least 10× faster), and one centre's recompute under 200 ms.

    .venv/bin/python -m bench.bench_service_areas [--runs 3] [--reuse]

Creates its own database on the local cluster (or ONEMAP_TEST_ADMIN_URL), loads the
city-scale demo (seed 2024, ≈ 100 s) and drops it at the end unless --keep; --reuse
takes the database a previous --keep left.

What is timed:
* all areas: `compute_service_areas` for the 919 centres — one pgRouting call, the cut
  edges, the bands, the writes, one transaction;
* the walk: the pgRouting step of that run alone (from its progress callbacks), beside
  networkx: `single_source_dijkstra_path_length` with the same cutoff from each centre's
  joining node, on an `nx.Graph` of the same edges (building the graph is reported
  apart and not counted);
* one centre: `compute_service_areas(center_ids=[one])`, 20 centres, median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import networkx as nx
import psycopg

from app.commands.migrate import upgrade
from app.commands.progress import StepProgress
from bench.bench_audit import _admin_url
from gis import demo
from gis.access import compute_service_areas, prepare_sources, walking_distance_m
from gis.access.service_areas import walk

DATABASE = "onemap_bench_access"
COMMUNITY_CENTRES, COMPOUND_CENTRES = 260, 659  # Nanning's (DOMAIN.md)
TARGET_ALL_S, TARGET_ONE_MS, TARGET_RATIO, MIN_EDGES = 60.0, 200.0, 10.0, 200_000
NO_CUTOFF_SAMPLE = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the whole computation")
    parser.add_argument("--reuse", action="store_true", help="reuse a --keep database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    admin = _admin_url()
    url = admin.rsplit("/", 1)[0] + "/" + DATABASE
    if not (args.reuse and _exists(admin)):
        _create(admin, url)
    try:
        _run(url, args.runs)
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _run(url: str, runs: int) -> None:
    with psycopg.connect(url) as conn:
        nodes, edges = _count(conn, "walk_nodes"), _count(conn, "walk_edges")
        centres = _centres(conn)
        print(
            f"network: {nodes:,} nodes, {edges:,} edges (need ≥ {MIN_EDGES:,}:"
            f" {'OK' if edges >= MIN_EDGES else 'SHORT'}); centres: {len(centres):,}"
            f" ({COMMUNITY_CENTRES} community, {COMPOUND_CENTRES} compound)"
        )
        workers = os.cpu_count() or 1
        whole, walks, written = [], [], 0
        for run in range(runs):
            walks.append(_walk_seconds(conn, centres))
            conn.commit()  # the workers' connections read committed centres
            started = time.perf_counter()
            result = compute_service_areas(conn, center_ids=centres, workers=workers)
            whole.append(time.perf_counter() - started)
            written = result.areas
            print(
                f"  run {run + 1}: all areas {whole[-1]:.1f} s ({workers} connections),"
                f" the walk alone {walks[-1]:.2f} s; {result.areas:,} areas,"
                f" {result.network_centres} centres on the network"
            )
        baseline = _networkx(conn, centres)
        one = _one_centre(conn, centres)
    all_s, walk_s = statistics.median(whole), statistics.median(walks)
    print()
    print(
        f"all {written:,} areas (5/10/15 min, {len(centres)} centres): median {all_s:.1f} s"
        f" of {runs}  target < {TARGET_ALL_S:.0f} s: {'met' if all_s < TARGET_ALL_S else 'MISSED'}"
    )
    print(
        f"the walk (one pgRouting drivingDistance call from all {len(centres)} centres):"
        f" median {walk_s:.2f} s"
    )
    # pgRouting's call reads the edges and builds its graph every time; networkx's graph
    # is built once and reused, so the first two lines leave that out and the third
    # (the same job end to end) counts it.
    baseline["end_to_end_s"] = baseline["graph_s"] + baseline["with_cutoff_s"]
    cutoff_m = f"{walking_distance_m(15):,.0f} m"
    print(f"networkx on the same graph (built from the database in {baseline['graph_s']:.1f} s):")
    for label, key in (
        ("Dijkstra without cutoff, graph not counted", "no_cutoff_s"),
        (f"Dijkstra with the {cutoff_m} cutoff, graph not counted", "with_cutoff_s"),
        (f"graph built + Dijkstra with the {cutoff_m} cutoff", "end_to_end_s"),
    ):
        ratio = baseline[key] / walk_s
        note = f" (extrapolated from {baseline['sample']} centres)" if key == "no_cutoff_s" else ""
        print(
            f"  {label}: {baseline[key]:.2f} s{note} → pgRouting {ratio:.1f}× faster"
            f"  target ≥ {TARGET_RATIO:.0f}×: {'met' if ratio >= TARGET_RATIO else 'MISSED'}"
        )
    one_ms = statistics.median(one) * 1000
    print(
        f"one centre's recompute: median {one_ms:.0f} ms over {len(one)} centres"
        f" (max {max(one) * 1000:.0f} ms)  target < {TARGET_ONE_MS:.0f} ms:"
        f" {'met' if one_ms < TARGET_ONE_MS else 'MISSED'}"
    )


def _walk_seconds(conn: psycopg.Connection, centres: list[int]) -> float:
    """The pgRouting step alone: one drivingDistance call from every centre, as
    compute_service_areas makes it (rolled back)."""
    with conn.transaction() as transaction:
        prepare_sources(conn)
        conn.execute(
            "INSERT INTO access_sources SELECT center_id, county_code, geom"
            " FROM service_centers WHERE center_id = ANY(%s)",
            (centres,),
        )
        started = time.perf_counter()
        walk(conn)
        seconds = time.perf_counter() - started
        raise psycopg.Rollback(transaction)
    return seconds


def _networkx(conn: psycopg.Connection, centres: list[int]) -> dict[str, float]:
    """networkx on the same graph from each centre's joining node: Dijkstra with the
    15-minute cutoff (what a careful Python implementation runs) for every centre, and
    plain single-source Dijkstra (no cutoff) for a sample, extrapolated."""
    started = time.perf_counter()
    graph = nx.Graph()
    for source, target, length in conn.execute("SELECT source, target, length_m FROM walk_edges"):
        if not graph.has_edge(source, target) or graph[source][target]["weight"] > length:
            graph.add_edge(source, target, weight=length)
    graph_s = time.perf_counter() - started
    starts = [
        row[0]
        for row in conn.execute(
            "SELECT e.source FROM service_areas AS a JOIN walk_edges AS e"
            " ON e.edge_id = a.snap_edge_id WHERE a.minutes = 15 AND a.center_id = ANY(%s)"
            " ORDER BY a.center_id",
            (centres,),
        )
    ]
    cutoff = walking_distance_m(15)
    started = time.perf_counter()
    reached = sum(
        len(nx.single_source_dijkstra_path_length(graph, node, cutoff=cutoff, weight="weight"))
        for node in starts
    )
    with_cutoff = time.perf_counter() - started
    sample = starts[:: max(1, len(starts) // NO_CUTOFF_SAMPLE)][:NO_CUTOFF_SAMPLE]
    started = time.perf_counter()
    for node in sample:
        nx.single_source_dijkstra_path_length(graph, node, weight="weight")
    no_cutoff = (time.perf_counter() - started) / len(sample) * len(starts)
    return {
        "graph_s": graph_s,
        "with_cutoff_s": with_cutoff,
        "no_cutoff_s": no_cutoff,
        "reached": reached,
        "sample": len(sample),
    }


def _one_centre(conn: psycopg.Connection, centres: list[int]) -> list[float]:
    seconds = []
    for center_id in centres[:: max(1, len(centres) // 20)][:20]:
        started = time.perf_counter()
        compute_service_areas(conn, center_ids=[center_id])
        seconds.append(time.perf_counter() - started)
    return seconds


def _centres(conn: psycopg.Connection) -> list[int]:
    """Nanning's numbers of community and compound centres, spread evenly over the city
    demo's (which has more of both)."""
    chosen: list[int] = []
    for level, wanted in (("community", COMMUNITY_CENTRES), ("compound", COMPOUND_CENTRES)):
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT center_id FROM service_centers WHERE level = %s ORDER BY center_id",
                (level,),
            )
        ]
        if len(ids) < wanted:
            raise SystemExit(f"the city demo has {len(ids)} {level} centres, need {wanted}")
        chosen += [ids[i * len(ids) // wanted] for i in range(wanted)]
    return sorted(chosen)


def _create(admin: str, url: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    upgrade(url)
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with StepProgress(demo.load_steps(service_areas=False)) as bar:
            counts = demo.load(conn, scale="city", seed=2024, service_areas=False, progress=bar)
        print(
            f"city demo loaded in {time.perf_counter() - started:.0f} s:"
            f" {counts['buildings']:,} buildings, {counts['service_centers']:,} centres"
        )


def _exists(admin: str) -> bool:
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        return row.fetchone() is not None


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
