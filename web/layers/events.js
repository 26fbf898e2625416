// Events (事件) on the one map: a point each, coloured by its stage, ringed red when
// overdue and flagged when escalated; clustered when zoomed out (Leaflet.markercluster),
// a cluster ringed red when it holds an overdue event. The events come from the events
// API for the view and the chosen filters (web/panels/eventFilters.js); the live feed
// reloads them within a moment of any transition. Clicking one opens its panel.
import * as L from "leaflet";
import "./markercluster.js";
import "leaflet.markercluster";
import { API, getFeatures } from "../core/fetch.js";
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
// The district's events run to a few thousand; more than this, zoom in.
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

function clusterIcon(cluster) {
  const markers = cluster.getAllChildMarkers();
  const overdue = markers.some((marker) => marker.feature.properties.overdue);
  const count = cluster.getChildCount();
  const size = count < 10 ? 30 : count < 100 ? 36 : 44;
  const body = element("span", "onemap-event-cluster-count", count);
  return L.divIcon({
    className: `onemap-event-cluster${overdue ? " has-overdue" : ""}`,
    html: body,
    iconSize: [size, size],
  });
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

function query() {
  return new URLSearchParams(filterParameters()).toString();
}

const source = {
  pad: 0.2,
  // the filters as the API takes them, then the live revision: "status=…&source=…|3"
  key: () => `${query()}|${revision}`,
  watch(refresh) {
    onFiltersChange(refresh);
    reloads.add(refresh);
  },
  load({ bbox }, signal) {
    const url = new URL("events", API);
    for (const [name, value] of Object.entries(filterParameters())) url.searchParams.set(name, value);
    url.searchParams.set("bbox", bbox);
    url.searchParams.set("limit", "1000");
    return getFeatures(url, { cap: CAP, signal });
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
