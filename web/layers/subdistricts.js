// Subdistricts (街道/镇): the thick outlines the district is first divided by, named while
// the whole district is in view (below COMMUNITY_LABEL_ZOOM, where communities take over).
import { card, element } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { collection } from "./source.js";

const COLOUR = "#7f1d1d";
const style = () => ({ color: COLOUR, weight: 3.5, opacity: 0.9, fill: false });

export default {
  id: "subdistricts",
  title: "layer_subdistricts",
  className: "onemap-subdistrict",
  zIndex: 425,
  visible: true,
  interactive: false,
  // A district has a dozen: held whole once loaded.
  source: collection("subdistricts", { pad: 1 }),
  style,
  legend: () => [{ style: style(), label: word("legend_subdistricts") }],
  popup: (p) =>
    card(p.name, [
      [word("subdistrict_code"), p.subdistrict_code],
      [word("type"), term("subdistrict_kinds", p.kind)],
      [word("grids"), p.grids],
      [word("households"), p.households],
      [word("population"), p.population],
    ]),
  bind(feature, path) {
    path.bindTooltip(element("span", null, feature.properties.name), {
      permanent: true,
      direction: "center",
      className: "onemap-subdistrict-label",
    });
  },
};
