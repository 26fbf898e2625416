// Uncovered buildings (未覆盖楼栋): homes no service area of the chosen minutes reaches.
import { card } from "../core/dom.js";
import { word } from "../core/i18n.js";
import { accessSource } from "./access.js";

const COLOUR = "#dc2626";
// a 2-pixel outline keeps a building findable before its footprint is visible
const style = () => ({ color: COLOUR, weight: 2, fillColor: COLOUR, fillOpacity: 0.7 });

export default {
  id: "uncovered",
  title: "layer_uncovered",
  className: "onemap-uncovered",
  zIndex: 435,
  visible: false,
  source: accessSource("uncovered"),
  style,
  legend: () => [{ style: style(), label: word("legend_uncovered") }],
  popup: (p) =>
    card(p.name || p.building_code, [
      [word("building_code"), p.building_code],
      [word("households"), p.households],
      [word("population"), p.population],
      [
        word("nearest_centre"),
        p.nearest_center_m === null ? null : word("straight_metres", { metres: Math.round(p.nearest_center_m) }),
      ],
    ]),
};
