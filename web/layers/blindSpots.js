// Blind spots (巡逻盲区): the chosen month's events reported where no patrol had passed
// within the county's radius (30 m unless it sets another) in the days before, each with
// the nearest patrol that did come by (GET /api/v1/patrols/blind-spots). The API answers
// the whole county for a period, not a view: the month's answer is kept and redrawn as the
// map moves, and asked again only for another month.
import * as L from "leaflet";
import { card } from "../core/dom.js";
import { API, getJSON } from "../core/fetch.js";
import { word } from "../core/i18n.js";
import { chinaTime, monthBounds, PATROL_READERS, patrolMonth, patrolMonthControl } from "./patrolMonth.js";

const RING = { color: "#be123c", weight: 3, opacity: 1, fillColor: "#fde047", fillOpacity: 0.9, radius: 7 };
let answered = null; // {month, body}: the latest month's answer

async function blindSpotsOf(month, signal) {
  if (answered?.month !== month) {
    const { first, next } = monthBounds(month);
    const url = new URL("patrols/blind-spots", API);
    url.searchParams.set("from", first);
    url.searchParams.set("to", next);
    answered = { month, body: await getJSON(url, { signal }) };
  }
  return answered.body;
}

function nearestPatrol(p) {
  if (p.nearest_patrol_m === null || p.nearest_patrol_m === undefined) return word("patrol_nearest_none");
  return word("patrol_nearest_at", { metres: Math.round(p.nearest_patrol_m), at: chinaTime(p.nearest_patrol_at) });
}

const popup = (p) =>
  card(p.category_name, [
    [word("patrol_blind_spot_number"), p.tracking_number],
    [word("patrol_reported_at"), chinaTime(p.reported_at)],
    [word("patrol_grid"), p.grid_name],
    [word("patrol_blind_spot_rule"), word("patrol_within_metres", { metres: p.radius_m })],
    [word("patrol_nearest"), nearestPatrol(p)],
  ]);

export default {
  id: "blindSpots",
  title: "patrol_layer_blind_spots",
  className: "onemap-patrol-blind-spot",
  zIndex: 455,
  visible: false,
  readers: PATROL_READERS,
  source: {
    pad: 0.2,
    key: () => patrolMonth.value,
    watch: (refresh) => patrolMonth.listeners.add(refresh),
    async load(view, signal) {
      const body = await blindSpotsOf(patrolMonth.value, signal);
      return { features: body.features, numberMatched: body.numberMatched, truncated: false };
    },
  },
  style: () => RING,
  // points as rings: a marker of their own, above the tracks and streets
  makeLayer: ({ pane }) =>
    L.geoJSON(null, {
      pane,
      pointToLayer: (feature, at) =>
        L.circleMarker(at, { ...RING, pane, className: "onemap-patrol-blind-spot" }),
      onEachFeature: (feature, marker) => marker.bindPopup(() => popup(feature.properties), { maxWidth: 320 }),
    }),
  legend: () => [
    {
      style: { ...RING, shape: "dot" },
      label: word("patrol_legend_blind_spot", { days: answered?.body.days ?? "—" }),
    },
  ],
  popup,
  controls: [patrolMonthControl],
};
