// Events (事件) on the one map: a point each, coloured by its stage, ringed red when
// overdue and flagged when escalated; clustered where they crowd (Leaflet.markercluster),
// a cluster ringed red when it holds an overdue event. Zoomed out (below POINTS_FROM_ZOOM)
// the API counts them instead, per cell of the view (GET /api/v1/events/cells): a city's
// events are far too many to send as points, and a count is what a view that wide can
// show. A cell is drawn as a cluster is, at the middle of its events; clicking it zooms to
// them. The events come from the events API for the view and the chosen filters
// (web/panels/eventFilters.js); the live feed reloads them within a moment of any
// transition. Clicking an event opens its panel.
import * as L from "leaflet";
import "./markercluster.js";
import "leaflet.markercluster";
import { latLngToMap } from "../core/datum.js";
import { API, getFeatures, getJSON } from "../core/fetch.js";
import { element } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { onTransition } from "../core/stream.js";
import { eventFiltersControl, filterParameters, onFiltersChange } from "../panels/eventFilters.js";
import { eventPanel, onEventOpened, openEvent } from "../panels/event.js";
import { queueControl, useStageColours } from "../panels/queue.js";

// One colour per stage, in the loop's order: new (blue), with someone (orange), reported
// back (violet), done (green), out of the loop (grey).
export const STAGE_COLOURS = {
  reported: "#2563eb",
  filed: "#0891b2",
  dispatched: "#ea580c",
  in_progress: "#d97706",
  handled: "#7c3aed",
  closed: "#16a34a",
  evaluated: "#15803d",
  rejected: "#9ca3af",
  duplicate: "#9ca3af",
  not_responsible: "#9ca3af",
};
const UNKNOWN_COLOUR = "#6b7280";
const OVERDUE_COLOUR = "#dc2626";
// Where an event opened from the queue is shown, when it is not among those drawn.
const SHOW_ZOOM = 17;
// From this zoom each event is drawn; below it they are counted per cell (as the events'
// vector tiles do, docs/tiles.md).
export const POINTS_FROM_ZOOM = 14;
// A view at POINTS_FROM_ZOOM holds a few hundred events at most; more than this, zoom in.
const CAP = 5000;
// Transitions often come in bursts (an intake is report, file and dispatch at once).
const LIVE_DEBOUNCE_MS = 250;

export const stageColour = (status) => STAGE_COLOURS[status] || UNKNOWN_COLOUR;
useStageColours(STAGE_COLOURS);

// The marker's look, from its properties: the legend draws its keys with the same function.
function markerElement(p) {
  const dot = element("span", "onemap-event-dot");
  dot.style.background = stageColour(p.status);
  if (p.overdue) dot.classList.add("is-overdue");
  if (p.escalation_level > 0) dot.append(element("span", "onemap-event-escalated", "!"));
  return dot;
}

function icon(feature) {
  const p = feature.properties;
  const classes = ["onemap-event"];
  if (p.overdue) classes.push("onemap-event-overdue");
  if (p.escalation_level > 0) classes.push("onemap-event-escalated-marker");
  return L.divIcon({ className: classes.join(" "), html: markerElement(p), iconSize: [16, 16], iconAnchor: [8, 8] });
}

// A cell of counted events stands for `events` events, an event's marker for one.
const isCell = (feature) => feature.properties.events !== undefined;
const eventsIn = (feature) => (isCell(feature) ? feature.properties.events : 1);
const hasOverdue = (feature) => (isCell(feature) ? feature.properties.overdue > 0 : Boolean(feature.properties.overdue));

// A count's mark, for a cluster of markers or a cell (or a cluster of cells): how many
// events, ringed red when any is overdue.
function countIcon(count, overdue) {
  const size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 44 : 52;
  const body = element("span", "onemap-event-cluster-count", count);
  return L.divIcon({
    className: `onemap-event-cluster${overdue ? " has-overdue" : ""}`,
    html: body,
    iconSize: [size, size],
  });
}

function clusterIcon(cluster) {
  const features = cluster.getAllChildMarkers().map((marker) => marker.feature);
  const count = features.reduce((sum, feature) => sum + eventsIn(feature), 0);
  return countIcon(count, features.some(hasOverdue));
}

function cellTooltip(p) {
  const box = element("div", "onemap-event-tooltip");
  box.append(element("strong", null, word("event_cell_count", { events: p.events })));
  if (p.overdue) box.append(element("div", "onemap-event-flag", word("event_cell_overdue", { overdue: p.overdue })));
  box.append(element("div", "onemap-hint", word("event_cell_hint")));
  return box;
}

function cellMarker(feature, pane) {
  const [lng, lat] = feature.geometry.coordinates;
  const p = feature.properties;
  const marker = L.marker([lat, lng], { icon: countIcon(p.events, p.overdue > 0), pane, keyboard: false });
  marker.feature = feature;
  marker.bindTooltip(() => cellTooltip(p), { direction: "top", offset: [0, -14] });
  marker.on("click", () => {
    const [west, south, east, north] = feature.bbox;
    // the box is WGS84's (toMap shifts a feature's coordinates, not its bbox)
    const bounds = L.latLngBounds(latLngToMap([south, west]), latLngToMap([north, east]));
    // to its events, at least one zoom closer so that the cell splits
    theMap.fitBounds(bounds, { maxZoom: Math.max(theMap.getZoom() + 1, POINTS_FROM_ZOOM), padding: [40, 40] });
  });
  marker.on("add", () => {
    marker.getElement().dataset.cell = String(feature.id);
  });
  return marker;
}

function tooltip(p) {
  const box = element("div", "onemap-event-tooltip");
  box.append(
    element("strong", null, term("event_categories", p.category_code)),
    element("div", null, `${term("event_statuses", p.status)} · ${p.tracking_number}`),
  );
  if (p.overdue) box.append(element("div", "onemap-event-flag", word("event_overdue")));
  return box;
}

// The clusters hold markers, not GeoJSON: this gives them the GeoJSON layer's addData,
// which the view-bound loader fills them with.
// (the plugin put MarkerClusterGroup on the global L: web/layers/markercluster.js)
const EventClusters = window.L.MarkerClusterGroup.extend({
  addData(features) {
    const markers = features
      .filter((feature) => feature.geometry)
      .map((feature) => {
        if (isCell(feature)) return cellMarker(feature, this.options.clusterPane);
        const [lng, lat] = feature.geometry.coordinates;
        const marker = L.marker([lat, lng], { icon: icon(feature), pane: this.options.clusterPane, keyboard: false });
        marker.feature = feature;
        marker.bindTooltip(() => tooltip(feature.properties), { direction: "top", offset: [0, -8] });
        marker.on("click", () => openEvent(feature.id));
        marker.on("add", () => {
          marker.getElement().dataset.eventId = String(feature.id);
          marker.getElement().classList.toggle("is-selected", feature.id === selectedId);
        });
        return marker;
      });
    this.addLayers(markers);
    return this;
  },
});

// The event whose panel is open is ringed on the map; opened from the queue, it is brought
// into view (out of its cluster).
let selectedId = null;
let clusters = null;
let theMap = null;
onEventOpened(({ feature, fly }) => {
  selectedId = feature?.id ?? null;
  if (!clusters) return;
  const markers = clusters.getLayers();
  for (const marker of markers) {
    marker.getElement()?.classList.toggle("is-selected", marker.feature.id === selectedId);
  }
  if (!fly || !feature?.geometry) return;
  const marker = markers.find((candidate) => candidate.feature.id === selectedId);
  if (marker && theMap.hasLayer(clusters)) {
    // out of its cluster, then to the middle of the map, clear of the panels at its edges
    clusters.zoomToShowLayer(marker, () => theMap.panTo(marker.getLatLng()));
  } else {
    const [lng, lat] = feature.geometry.coordinates;
    theMap.setView([lat, lng], Math.max(theMap.getZoom(), SHOW_ZOOM));
  }
});

// The map's events are reloaded (the loader sees a new key) whenever the feed tells of a
// transition: a new event, or one that moved stage, shows without a reload of the page.
let revision = 0;
const reloads = new Set();
let pending = null;
onTransition(() => {
  clearTimeout(pending);
  pending = setTimeout(() => {
    revision += 1;
    for (const reload of reloads) reload();
  }, LIVE_DEBOUNCE_MS);
});

// Counted per cell at each zoom below POINTS_FROM_ZOOM (a zoom's cells are its own), or
// drawn one by one from it.
function band() {
  if (!theMap) return "";
  const zoom = theMap.getZoom();
  return zoom < POINTS_FROM_ZOOM ? `cells ${Math.floor(zoom)}` : "points";
}

function query() {
  return new URLSearchParams(filterParameters()).toString();
}

const source = {
  pad: 0.2,
  // the filters as the API takes them, the cells' zoom (or points), then the live
  // revision: "status=…&source=…|cells 12|3"
  key: () => `${query()}|${band()}|${revision}`,
  watch(refresh) {
    onFiltersChange(refresh);
    reloads.add(refresh);
  },
  async load({ bbox, zoom }, signal) {
    const counted = zoom < POINTS_FROM_ZOOM;
    const url = new URL(counted ? "events/cells" : "events", API);
    for (const [name, value] of Object.entries(filterParameters())) url.searchParams.set(name, value);
    url.searchParams.set("bbox", bbox);
    if (!counted) {
      url.searchParams.set("limit", "1000");
      return getFeatures(url, { cap: CAP, signal });
    }
    url.searchParams.set("zoom", String(Math.floor(zoom)));
    const cells = await getJSON(url, { signal });
    return { features: cells.features, numberMatched: cells.numberMatched, truncated: false, drawn: cells.numberMatched };
  },
};

const legendStages = ["reported", "filed", "dispatched", "in_progress", "handled", "closed", "evaluated", "rejected"];

export default {
  id: "events",
  title: "layer_events",
  className: "onemap-event",
  zIndex: 620,
  visible: true,
  source,
  makeLayer: ({ pane, map }) => {
    // Public points are the centres of 50 m cells, so reports from one cell coincide: at
    // the closest zoom their cluster spreads them out (spiderfies) rather than stacking them.
    clusters = new EventClusters({
      clusterPane: pane,
      maxClusterRadius: 40,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      chunkedLoading: true,
      iconCreateFunction: clusterIcon,
    });
    theMap = map;
    return clusters;
  },
  legend: () => [
    ...legendStages.map((status) => ({
      style: { shape: "dot", color: "#ffffff", fillColor: stageColour(status), fillOpacity: 1 },
      label: term("event_statuses", status),
    })),
    { style: { shape: "dot", color: OVERDUE_COLOUR, fillColor: "#ffffff", fillOpacity: 1 }, label: word("event_overdue") },
    { style: { shape: "dot", badge: "!", color: "#1f2933", fillColor: "#1f2933", fillOpacity: 1 }, label: word("legend_event_escalated") },
    { style: { shape: "dot", color: "#374151", fillColor: "#ffffff", fillOpacity: 1 }, label: word("legend_event_cluster") },
  ],
  controls: [eventFiltersControl, queueControl, eventPanel],
};
