// Communities (社区/村): outlines with their names, once a community is wide enough on
// screen to carry one.
import { word } from "../core/i18n.js";
import { collection } from "./source.js";

// A hundred-odd community names over the whole district are unreadable; from this zoom a
// community is wide enough on screen to carry its name, and the subdistricts' give way.
export const NAMED_FROM_ZOOM = 15;

const COLOUR = "#374151";
// Solid: neighbours draw their shared border twice, and two dash patterns out of step
// would read as a solid line anyway.
const style = () => ({ color: COLOUR, weight: 2, fill: false });

export default {
  id: "communities",
  title: "layer_communities",
  className: "onemap-community",
  zIndex: 420,
  visible: true,
  // Outlines only, and not interactive, so the grids underneath get the mouse.
  interactive: false,
  source: collection("communities", { pad: 1 }),
  style,
  legend: () => [{ style: style(), label: word("legend_communities") }],
  // named at the zooms where their names are readable, and only those in view
  names: { className: "onemap-community-label", minZoom: NAMED_FROM_ZOOM },
};
