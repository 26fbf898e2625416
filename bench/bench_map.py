"""The one map's speed in a real headless Chromium (Debian's), the page drawing the grids
and buildings from vector tiles (as it opens by default) beside the same page drawing
every layer from the features API's GeoJSON (``?draw=geojson``), in the same run:

* first meaningful paint: from navigation until the grids and the events are drawn (their
  first loads as `window.onemap.nextLoad` reports them, and the frame after); the median
  of 5 cold loads, each in a fresh browser context (no cache). Goal < 2 s. Each layer's
  first load is printed beside it.
* pan and zoom: a fixed path of 30 moves over the city (in, across, down to the
  buildings, out again), two figures a move, p95 each; goal < 300 ms:
  - data in hand: from the move until the last answer the move asked for has arrived
    (the page's Resource Timing: the tiles, GeoJSON and counts requested after the
    move; a move that needs nothing new is 0);
  - drawn: from the move until every shown layer has drawn the view's data
    (`settled()` of web/core/loader.js: no load waiting or in flight) and the frame
    after it.

    .venv/bin/python -m bench.bench_map --scales city [--reuse --keep]
    .venv/bin/python -m bench.bench_map --scales city --url postgresql://…/onemap_bench_suite_city
    make bench BENCH_ARGS="--only map --scales city --reuse --keep"
"""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import dataclass, field

from playwright.sync_api import Browser, sync_playwright

from app.commands.launch import served
from bench import scales
from bench.harness import admin_url

# Debian's chromium, as the browser tests run it (tests/web/conftest.py)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
MODES = {"tiles": "/", "geojson": "/?draw=geojson"}
COLD_LOADS = 5
GOAL_PAINT_S = 2.0
GOAL_MOVE_MS = 300.0

# The path, from the city's first view: each move as (zoom, east, north), the zoom the
# map is set to and how far its centre goes in view widths and heights. Down to a
# district, across it, into a subdistrict, down to the buildings (z16) and across them,
# then out again: 30 moves.
PATH: list[tuple[float, float, float]] = [
    (+1, 0, 0), (+2, 0, 0), (+2, 0.5, 0), (+2, 0.5, 0), (+2, 0, -0.5),
    (+2, -0.5, 0), (+2, -0.5, 0), (+3, 0, 0.5), (+3, 0.5, 0), (+3, 0.5, 0),
    (+4, 0, 0), (+4, 0, -0.5), (+4, -0.5, 0), (+5, 0, 0), (+5, 0.5, 0),
    (+5.5, 0, 0), (16, 0, 0), (16, 0.5, 0), (16, 0, 0.5), (16, -0.5, 0),
    (16.5, 0, 0), (17, 0.5, 0), (16, 0, 0), (15, 0, -0.5), (+4, 0, 0),
    (+3, 0.5, 0), (+2, 0, 0), (+2, -0.5, 0.5), (+1, 0, 0), (+0, 0, 0),
]  # fmt: skip


@dataclass
class Mode:
    paints_s: list[float] = field(default_factory=list)
    moves_ms: list[float] = field(default_factory=list)
    # each move's data in hand, ms (the requests it made answered)
    data_ms: list[float] = field(default_factory=list)
    # each first-shown layer's first load, s from navigation, one list a layer
    layers_s: dict[str, list[float]] = field(default_factory=dict)

    @property
    def paint_s(self) -> float:
        return statistics.median(self.paints_s)

    @property
    def move_p95_ms(self) -> float:
        return _p95(self.moves_ms)

    @property
    def data_p95_ms(self) -> float:
        return _p95(self.data_ms)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


@dataclass
class Result:
    scale: str
    modes: dict[str, Mode]


# In the page, as soon as `window.onemap` is there (before any layer is added): when the
# grids and the events are drawn (their first loads, then the frame that paints them),
# and each shown layer's first load, as ms since navigation started.
MEANINGFUL = ("grids", "events")
# (Every layer the page has, not its `registry`: that lists the layers offered to the
# visitor only once they are known, after the page has asked who is signed in.)
FIRST_PAINT = """async (meaningful) => {
    const { layers: all, nextLoad } = window.onemap;
    const layers = {};
    const loads = {};
    for (const id of Object.keys(all)) {
        loads[id] = nextLoad(id).then(() => { layers[id] = performance.now(); });
    }
    const missing = meaningful.filter((id) => !(id in loads));
    if (missing.length) throw new Error(`the page has no layer ${missing.join(", ")}`);
    await Promise.all(meaningful.map((id) => loads[id]));
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    return { drawn: performance.now(), layers };
}"""

# In the page: one move of the path; how long until the answers to what it asked for are
# in, and until every shown layer has drawn the view's data.
MOVE = """async ([zoom, east, north]) => {
    const { settled } = await import(new URL("static/core/loader.js", document.baseURI).href);
    const { map } = window.onemap;
    const size = map.getSize();
    const centre = map.containerPointToLatLng([size.x * (0.5 + east), size.y * (0.5 - north)]);
    performance.clearResourceTimings();
    const started = performance.now();
    map.setView(centre, zoom, { animate: false });
    await settled();
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const drawn = performance.now() - started;
    const answered = performance.getEntriesByType("resource")
        .filter((entry) => entry.startTime >= started && entry.responseEnd > 0)
        .map((entry) => entry.responseEnd - started);
    return { drawn, data: Math.max(0, ...answered) };
}"""


def _cold_load(browser: Browser, url: str, mode: Mode | None = None) -> float:
    context = browser.new_context(viewport=VIEWPORT)  # a fresh context: an empty cache
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.onemap !== undefined", polling=10)
        painted = page.evaluate(FIRST_PAINT, list(MEANINGFUL))
        if mode is not None:
            for layer, at in painted["layers"].items():
                mode.layers_s.setdefault(layer, []).append(at / 1000)
        return painted["drawn"] / 1000
    finally:
        context.close()


def _walk(browser: Browser, url: str) -> list[dict[str, float]]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(url)
        page.evaluate("() => window.onemap.ready")
        first = page.evaluate("() => window.onemap.map.getZoom()")
        times = []
        for zoom, east, north in PATH:
            # relative zooms count from the first view; z15 and beyond are absolute
            absolute = zoom if zoom >= 15 else first + zoom
            times.append(page.evaluate(MOVE, [absolute, east, north]))
        return times
    finally:
        context.close()


def run(url: str, scale: str, *, workers: int = 1, loads: int = COLD_LOADS) -> Result:
    modes = {name: Mode() for name in MODES}
    with served(url, workers=workers) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # one warm-up of each, so that neither mode pays for the server's first queries
            for path in MODES.values():
                _cold_load(browser, base + path)
            for _ in range(loads):  # alternating, so that a busy moment hits both
                for name, path in MODES.items():
                    modes[name].paints_s.append(_cold_load(browser, base + path, modes[name]))
            for name, path in MODES.items():
                moves = _walk(browser, base + path)
                modes[name].moves_ms = [move["drawn"] for move in moves]
                modes[name].data_ms = [move["data"] for move in moves]
        finally:
            browser.close()
    label = scales.LABELS[scale]
    for name, mode in modes.items():
        print(
            f"[{label}] map ({name}): first paint {mode.paint_s:.2f} s"
            f" ({', '.join(f'{s:.2f}' for s in mode.paints_s)}),"
            f" move data in hand p95 {mode.data_p95_ms:.0f} ms"
            f" (median {statistics.median(mode.data_ms):.0f}, max {max(mode.data_ms):.0f}),"
            f" drawn p95 {mode.move_p95_ms:.0f} ms (median {statistics.median(mode.moves_ms):.0f},"
            f" max {max(mode.moves_ms):.0f})"
        )
        layers = ", ".join(
            f"{layer} {statistics.median(times):.2f}" for layer, times in mode.layers_s.items()
        )
        print(f"[{label}] map ({name}): each layer's first load, median s: {layers}")
    print(f"[{label}] load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return Result(scale, modes)


def rows(result: Result) -> list[dict]:
    label = scales.LABELS[result.scale]
    tiles, geojson = result.modes["tiles"], result.modes["geojson"]

    def row(figure: str, ours: float, baseline: float, unit: str, goal: float) -> dict:
        digits = 2 if unit == "s" else 0
        return dict(
            figure=figure,
            scale=label,
            onemap=f"tiles {ours:.{digits}f} {unit}",
            baseline=f"GeoJSON {baseline:.{digits}f} {unit}",
            ratio=f"{baseline / max(ours, 0.001):.1f}×",
            goal=f"< {goal:.0f} {unit}",
            passed=ours < goal,
        )

    moves = len(tiles.moves_ms)
    return [
        row(f"map first paint, median of {len(tiles.paints_s)} cold", tiles.paint_s,
            geojson.paint_s, "s", GOAL_PAINT_S),
        row(f"map move, data in hand p95, {moves} moves", tiles.data_p95_ms,
            geojson.data_p95_ms, "ms", GOAL_MOVE_MS),
        row(f"map move, drawn p95, {moves} moves", tiles.move_p95_ms, geojson.move_p95_ms,
            "ms", GOAL_MOVE_MS),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="city", help="district,city,city2")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases a --keep left")
    parser.add_argument(
        "--url", help="measure this database as it is (one scale, not migrated nor dropped)"
    )
    args = parser.parse_args()
    wanted = [s for s in args.scales.split(",") if s]
    from bench.suite import print_table

    if args.url:
        print_table(rows(run(args.url, wanted[0], workers=args.workers)))
        return
    with scales.databases(admin_url(), wanted, keep=args.keep, reuse=args.reuse) as urls:
        print_table(
            [r for scale in wanted for r in rows(run(urls[scale], scale, workers=args.workers))]
        )


if __name__ == "__main__":
    main()
