// The one map (一张图): every registered layer (web/layers/index.js) on one Leaflet map,
// with the layer switcher and legend made from the registry. The page only draws: every
// feature comes from this service's APIs, every label from its vocabulary. Native ES
// modules, no build step; Leaflet is served by the app itself (never a CDN).
import * as L from "leaflet";
import { loadArea, mapLabel, pageTitle } from "./core/area.js";
import { layerSwitcher, languageToggle, legend } from "./core/controls.js";
import { datum, latLngToMap, useDatum } from "./core/datum.js";
import { API, getJSON, OGC } from "./core/fetch.js";
import { loadVocabulary, onLanguageChange, word } from "./core/i18n.js";
import { element } from "./core/dom.js";
import { labelPlacer, placeNames } from "./core/labels.js";
import { ViewLoader } from "./core/loader.js";
import { mayRead, signedIn } from "./core/session.js";
import * as status from "./core/status.js";
import { LAYERS } from "./layers/index.js";
import { chartsPanel } from "./panels/charts.js";
import { eventPanel, openEvent } from "./panels/event.js";
import { choroplethPanel } from "./panels/indicators.js";
import { currentPeriod, setPeriod } from "./panels/period.js";
import { placePanel } from "./panels/place.js";
import { searchBox } from "./panels/search.js";
import { wallScreen } from "./panels/wall.js";

const map = L.map("map", { minZoom: 9, maxZoom: 19, zoomSnap: 0.25 });
L.control.scale({ imperial: false }).addTo(map);

// Each load's outcome, to whoever waits for it: tests, the console, `ready`.
const waiting = new Map();
function nextLoad(id) {
  return new Promise((resolve) => {
    if (!waiting.has(id)) waiting.set(id, []);
    waiting.get(id).push(resolve);
  });
}

const entries = LAYERS.map((definition) => {
  // Own panes keep the stacking fixed: bringing a hovered grid to the front must not lift
  // it over the buildings or the outlines.
  const pane = map.createPane(definition.id);
  pane.style.zIndex = String(definition.zIndex);
  if (definition.paneOpacity) pane.style.opacity = String(definition.paneOpacity);
  // a layer of its own kind (the events' clusters) when the module makes one
  const layer = definition.makeLayer ? definition.makeLayer({ pane: definition.id, map }) : L.geoJSON(null, {
    pane: definition.id,
    className: definition.className,
    interactive: definition.interactive !== false,
    style: definition.style,
    onEachFeature: (feature, path) => {
      if (definition.popup) path.bindPopup(() => definition.popup(feature.properties), { maxWidth: 320 });
      if (definition.bind) definition.bind(feature, path, { map, layer });
    },
  });
  return { definition, layer };
});

// The places' names (a layer's `names`): made for the view after every move and load and
// when their layer is switched on or off (core/labels.js), then laid out so that none
// covers another: a name that would overlap one of higher rank (an earlier layer's in the
// registry, the subdistricts' before the communities') is hidden.
const named = entries.filter(({ definition }) => definition.names);
const placeLabels = labelPlacer(
  map.getContainer(),
  named.map(({ definition }) => `.${definition.names.className}`),
);
const namers = named.map(({ definition, layer }) => {
  layer.on("add remove", () => nameThePlaces());
  return placeNames(map, layer, definition.names);
});
function nameThePlaces() {
  for (const name of namers) name();
  placeLabels();
}
map.on("moveend", nameThePlaces);
// The layers this visitor is offered: a layer with `readers` (roles: the patrols') only to
// someone signed in with one of them, so nobody else is shown it or asks for its features.
const offered = [];

function watchLoads({ definition, layer }) {
  return new ViewLoader(map, layer, definition.source, (report) => {
    if (definition.status !== false || report.state === "failed") {
      status.layerState(definition.id, definition.title, report);
    }
    if (["loaded", "failed", "zoomedOut"].includes(report.state)) {
      const { error, ...figures } = report;
      const outcome = error ? { ...figures, error: error.message } : figures;
      for (const resolve of waiting.get(definition.id) || []) resolve(outcome);
      waiting.delete(definition.id);
      // a legend key may say what was loaded (the service areas' minutes)
      legendControl.render?.();
      if (report.state === "loaded") nameThePlaces();
    }
  });
}

const legendControl = legend(map, entries);
// The analysis: a place's panel (search, the choropleth and clicks open it), choropleths, charts.
const place = placePanel(map, entries);
const analysis = { place, choropleth: choroplethPanel(map, place), charts: chartsPanel() };
analysis.period = { current: currentPeriod, set: setPeriod };
analysis.wall = wallScreen(map);

// The side drawer along the map's right edge: the left column holds the filters, the
// analysis and the queue, so a place's panel, an event's and the charts share one drawer
// over the map's right side instead. It opens when one of them comes to show something
// and shuts when none has anything left; its button closes them all (each as its own
// close would), and the map has the screen back.
function sideDrawer(panels) {
  const drawer = element("aside", "onemap-drawer");
  drawer.id = "onemap-drawer";
  drawer.hidden = true;
  const close = element("button", "onemap-drawer-close");
  close.type = "button";
  close.id = "onemap-drawer-close";
  const showing = () => panels.filter(({ box }) => !box.hidden && box.childElementCount > 0);
  const set = (open) => {
    drawer.hidden = !open;
    map.getContainer().classList.toggle("has-drawer", open);
  };
  close.addEventListener("click", () => {
    for (const panel of showing()) panel.close();
    set(false);
  });
  const label = () => {
    close.textContent = `${word("wall_drawer_close")} ›`;
  };
  label();
  onLanguageChange(label);
  let before = new Set();
  const watch = new MutationObserver(() => {
    const now = new Set(showing().map(({ box }) => box));
    if ([...now].some((box) => !before.has(box))) set(true);
    else if (now.size === 0) set(false);
    before = now;
  });
  for (const { box } of panels) {
    watch.observe(box, { attributes: true, attributeFilter: ["hidden"], childList: true });
  }
  drawer.append(close, ...panels.map(({ box }) => box));
  L.DomEvent.disableClickPropagation(drawer);
  L.DomEvent.disableScrollPropagation(drawer);
  map.getContainer().append(drawer);
  return drawer;
}

// The basemap the deployment configures, if any (none by default: the page works
// offline), and the datum its tiles are drawn in, which every overlay follows.
async function basemap() {
  const { basemap: configured } = await getJSON(new URL("basemap", API));
  if (!configured) return;
  useDatum(configured.datum);
  L.tileLayer(configured.url, {
    attribution: configured.attribution,
    maxZoom: configured.max_zoom,
  }).addTo(map);
}

// The first view: the grids' extent, as the OGC API states it for the collection.
async function firstView() {
  const grids = await getJSON(new URL("collections/grids", OGC));
  const bbox = grids.extent?.spatial?.bbox?.[0];
  if (bbox) {
    const corners = [latLngToMap([bbox[1], bbox[0]]), latLngToMap([bbox[3], bbox[2]])];
    map.fitBounds(corners, { padding: [10, 10], animate: false });
  } else {
    map.fitWorld();
  }
}

function renderChrome() {
  document.title = pageTitle();
  document.getElementById("onemap-title").textContent = pageTitle();
  map.getContainer().setAttribute("aria-label", mapLabel());
  status.render();
  analysis.wall.render();
}

async function start() {
  await Promise.all([loadVocabulary(), loadArea()]);
  renderChrome();
  onLanguageChange(renderChrome);
  languageToggle().addTo(map);
  await basemap();
  const person = await signedIn;
  offered.push(...entries.filter(({ definition }) => mayRead(person, definition.readers)));
  // a control several layers share (the patrols' month) is added once
  for (const control of new Set(offered.flatMap(({ definition }) => definition.controls || []))) {
    control.addTo(map);
  }
  layerSwitcher(map, offered).addTo(map);
  legendControl.addTo(map);
  analysis.search = searchBox(map, place);
  for (const control of [place, analysis.choropleth, analysis.charts]) control.addTo(map);
  // the charts' title and show/hide in the header, where no panel covers them; the charts
  // themselves open in the drawer
  document.querySelector(".onemap-header").append(analysis.search.element, analysis.charts.getContainer(), analysis.wall.toggle);
  // the events' layer added its panel with its controls above
  // (the place's and the event's own close buttons, the charts' hide)
  const closer = (box, selector) => () => box.querySelector(selector)?.click();
  const eventBox = eventPanel.getContainer();
  analysis.drawer = sideDrawer([
    { box: place.box, close: closer(place.box, ".onemap-place-top .onemap-close") },
    { box: eventBox, close: closer(eventBox, ".onemap-event-close") },
    { box: analysis.charts.body, close: () => analysis.charts.show(false) },
  ]);
  if (analysis.wall.asked) analysis.wall.enter();
  await firstView();
  for (const entry of offered) {
    status.register(entry.definition.id);
    watchLoads(entry);
  }
  const first = offered.filter(({ definition }) => definition.visible);
  const loads = first.map(({ definition }) => nextLoad(definition.id));
  for (const { layer } of first) layer.addTo(map);
  const outcomes = await Promise.all(loads);
  const counts = {};
  first.forEach(({ definition }, index) => {
    const outcome = outcomes[index];
    if (outcome.error) throw new Error(`${definition.id}: ${outcome.error}`);
    counts[definition.id] = outcome.drawn ?? 0;
    counts[`${definition.id}Matched`] = outcome.numberMatched ?? null;
  });
  return counts;
}

const ready = start();
ready.catch((error) => {
  if (!document.getElementById("onemap-status").classList.contains("is-error")) status.fatal(error);
});

// The one hook for tests and the browser console. `ready` resolves with the features each
// first-shown layer drew ({grids, gridsMatched, communities, …}) once the map is fitted to
// the district and they are drawn; `nextLoad(id)` with the next load of layer `id`
// ({state: "loaded", bbox, key, drawn, numberMatched, truncated}; {state: "zoomedOut",
// minZoom} when the view is too far out for it; {state: "failed", error}); `datum()` the
// datum the map is drawn in ("wgs84", or "gcj02" on a Chinese web basemap); `openEvent(id)`
// opens an event's panel, as a click on its marker or queue item does.
window.onemap = {
  map,
  datum,
  layers: Object.fromEntries(entries.map(({ definition, layer }) => [definition.id, layer])),
  // the layers offered to this visitor, once `ready`
  get registry() {
    return offered.map(({ definition: { id, className, source } }) => ({ id, className, minZoom: source.minZoom ?? 0 }));
  },
  ready,
  nextLoad,
  analysis,
  openEvent,
};
