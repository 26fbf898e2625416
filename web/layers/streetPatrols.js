// Street patrols (道路巡逻覆盖): every street segment (at most 50 m) in the chosen month,
// patrolled when a patrol track passed within 30 m of its midpoint that month. The
// unpatrolled are what a commander looks for: drawn in red and thicker, over the
// patrolled in blue (not green: the grids' fill is green, and red against blue reads for
// those who cannot tell red from green too), so the gaps show at a glance.
import { card } from "../core/dom.js";
import { word } from "../core/i18n.js";
import { chinaTime, monthCollection, PATROL_READERS, patrolMonth, patrolMonthControl } from "./patrolMonth.js";

// A district month holds a hundred thousand segments: only those in view, from a zoom at
// which a 50 m segment is a visible stroke.
export const STREET_PATROL_MIN_ZOOM = 15;
const PATROLLED = { color: "#1d4ed8", weight: 3, opacity: 0.9, fill: false };
const UNPATROLLED = { color: "#dc2626", weight: 5, opacity: 0.95, fill: false };
const style = (feature) => (feature.properties.patrolled ? PATROLLED : UNPATROLLED);

export default {
  id: "streetPatrols",
  title: "patrol_layer_streets",
  className: "onemap-street-patrol",
  zIndex: 438,
  visible: false,
  readers: PATROL_READERS,
  source: monthCollection("street_patrols", (month) => ({ month }), {
    limit: 1000,
    cap: 8000,
    pad: 0.1,
    minZoom: STREET_PATROL_MIN_ZOOM,
  }),
  style,
  bind: (feature, path) => {
    // the unpatrolled on top of the patrolled where segments meet
    path.on("add", () => {
      path.getElement()?.setAttribute("data-patrolled", String(feature.properties.patrolled));
      if (!feature.properties.patrolled) path.bringToFront();
    });
  },
  legend: () => [
    { style: UNPATROLLED, label: word("patrol_legend_unpatrolled", { month: patrolMonth.value }) },
    {
      style: PATROLLED,
      label: word("patrol_legend_patrolled", { month: patrolMonth.value, zoom: STREET_PATROL_MIN_ZOOM }),
    },
  ],
  popup: (p) =>
    card(p.segment, [
      [word("patrol_month"), p.month],
      [word("patrol_street_state"), word(p.patrolled ? "patrol_patrolled" : "patrol_unpatrolled")],
      [word("patrol_passes"), p.passes],
      [word("patrol_last_passed"), chinaTime(p.last_patrolled_at)],
      [word("patrol_length"), word("patrol_metres", { metres: Math.round(p.length_m) })],
      [word("patrol_grid"), p.grid_code],
    ]),
  controls: [patrolMonthControl],
};
