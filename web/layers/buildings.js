// Buildings (楼栋) run to tens of thousands: only those in view, and only when zoomed in
// far enough for a building to be more than a speck.
import { card } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { collection } from "./source.js";

export const BUILDING_MIN_ZOOM = 16;
const COLOUR = "#6b4f3a";
const style = () => ({ color: COLOUR, weight: 1, fillColor: COLOUR, fillOpacity: 0.6 });

export default {
  id: "buildings",
  title: "layer_buildings",
  className: "onemap-building",
  zIndex: 430,
  visible: true,
  source: collection("buildings", { limit: 500, cap: 3000, minZoom: BUILDING_MIN_ZOOM }),
  style,
  legend: () => [{ style: style(), label: word("legend_buildings", { zoom: BUILDING_MIN_ZOOM }) }],
  popup: (p) =>
    card(p.name || word("layer_buildings"), [
      [word("building_code"), p.building_code],
      [word("use"), term("building_uses", p.building_use)],
      [word("floors"), p.floors],
      [word("units"), p.units],
      [word("households"), p.households],
      [word("population"), p.population],
    ]),
};
