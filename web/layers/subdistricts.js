// Subdistricts (街道/镇): the thick outlines the district is first divided by, named while
// the whole district is in view (below COMMUNITY_LABEL_MIN_ZOOM in main.js, where communities take over).
import { element } from "../core/dom.js";
import { word } from "../core/i18n.js";
import { collection } from "./source.js";

const COLOUR = "#7f1d1d";
const style = () => ({ color: COLOUR, weight: 3.5, opacity: 0.9, fill: false });

export default {
  id: "subdistricts",
  title: "layer_subdistricts",
  className: "onemap-subdistrict",
  zIndex: 425,
  visible: true,
  // outlines only: the grids underneath get the mouse
  interactive: false,
  // A district has a dozen: held whole once loaded.
  source: collection("subdistricts", { pad: 1 }),
  style,
  legend: () => [{ style: style(), label: word("legend_subdistricts") }],
  bind(feature, path) {
    path.bindTooltip(element("span", null, feature.properties.name), {
      permanent: true,
      direction: "center",
      className: "onemap-subdistrict-label",
    });
  },
};
