// Communities (社区/村): outlines with their names, once a community is wide enough on
// screen to carry one (the map hides the labels below COMMUNITY_LABEL_ZOOM).
import { element } from "../core/dom.js";
import { word } from "../core/i18n.js";
import { collection } from "./source.js";

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
  bind(feature, path) {
    path.bindTooltip(element("span", null, feature.properties.name), {
      permanent: true,
      direction: "center",
      className: "onemap-community-label",
    });
  },
};
