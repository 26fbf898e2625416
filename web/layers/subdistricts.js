// Subdistricts (街道/镇): the thick outlines the district is first divided by, named while
// the whole district is in view (below the zoom from which the communities are named).
import { word } from "../core/i18n.js";
import { NAMED_FROM_ZOOM } from "./communities.js";
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
  // named at the zooms where their names are readable, and only those in view
  names: { className: "onemap-subdistrict-label", maxZoom: NAMED_FROM_ZOOM },
};
