// The one view-bound loader: keeps a layer filled with what its source serves for the
// map's current view. A layer holds what it loaded for a padded view and reloads only
// when the view leaves that (or its key, e.g. the minutes of a service area, changes);
// moves are debounced, and a load the view has left is aborted, so neither the server nor
// the page works for a view nobody looks at any more.
import { toMap } from "./datum.js";
import { bboxOf, isAbort } from "./fetch.js";

// A move right after a quiet spell loads at once; moves that follow it within this long
// (a wheel's zoom steps, a drag's pauses) wait until they stop, and the load of a view
// left behind is aborted.
const DEBOUNCE_MS = 120;

// The loaders with a load waiting out its debounce or in flight. `settled()` resolves once
// there is none: after a move, when every shown layer has the view's data (the map's
// benchmark, bench/bench_map.py, times a move by it).
const busy = new Set();
let waiters = [];

function idle(loader) {
  busy.delete(loader);
  if (busy.size) return;
  for (const resolve of waiters) resolve();
  waiters = [];
}

export function settled() {
  return busy.size ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve();
}

export class ViewLoader {
  // `source`: {load(view, signal) → {features, numberMatched, truncated[, drawn]},
  // minZoom, pad, key(), fetches (false: its load asks the server nothing)}; `layer`: the
  // L.GeoJSON it fills; `report(state)`: told of each outcome,
  // {loading | loaded | zoomedOut | failed | off, ...}.
  constructor(map, layer, source, report) {
    this.map = map;
    this.layer = layer;
    this.source = source;
    this.report = report;
    this.held = null;
    this.controller = null;
    this.timer = null;
    this.lastAsked = -Infinity;
    map.on("moveend", () => this.refresh());
    if (source.watch) source.watch(() => this.refresh());
    layer.on("add", () => this.refresh({ force: true }));
    layer.on("remove", () => {
      this.cancel();
      this.held = null;
      this.report({ state: "off" });
    });
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.controller) this.controller.abort();
    this.controller = null;
    idle(this);
  }

  refresh({ force = false } = {}) {
    const { map, layer, source } = this;
    if (!map.hasLayer(layer) || !map._loaded) return;
    const zoom = map.getZoom();
    if (zoom < (source.minZoom ?? 0)) {
      this.cancel();
      this.held = null;
      layer.clearLayers();
      this.report({ state: "zoomedOut", minZoom: source.minZoom });
      return;
    }
    const key = source.key ? source.key() : "";
    const held = this.held;
    if (!force && held && held.key === key && held.bounds.contains(map.getBounds())) return;
    const quiet = performance.now() - this.lastAsked >= DEBOUNCE_MS && !this.timer && !this.controller;
    this.lastAsked = performance.now();
    clearTimeout(this.timer);
    busy.add(this);
    // a tiled layer's load fetches nothing (it waits for the tiles its layer asks for)
    const delay = quiet || source.fetches === false ? 0 : DEBOUNCE_MS;
    this.timer = setTimeout(() => this.load(key), delay);
  }

  async load(key) {
    // what cancel() does, but the loader stays busy
    clearTimeout(this.timer);
    this.timer = null;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const bounds = this.map.getBounds().pad(this.source.pad ?? 0.2);
    const view = { bounds, bbox: bboxOf(bounds), zoom: this.map.getZoom() };
    this.report({ state: "loading" });
    try {
      const result = await this.source.load(view, controller.signal);
      if (controller.signal.aborted) return;
      this.controller = null;
      this.layer.clearLayers();
      this.layer.addData(result.features.map(toMap));
      this.held = { bounds, key };
      this.report({
        state: "loaded",
        bbox: view.bbox,
        key,
        // what the layer shows: its features, or what they stand for (a cell's events)
        drawn: result.drawn ?? result.features.length,
        numberMatched: result.numberMatched,
        truncated: result.truncated,
      });
      idle(this);
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      this.controller = null;
      this.held = null; // let the next move retry
      this.report({ state: "failed", error });
      idle(this);
    }
  }
}
