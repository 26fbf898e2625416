// Water (水域): the river lies over the grids, which tile it too, and under the outlines.
import { word } from "../core/i18n.js";
import { collection } from "./source.js";

const COLOUR = "#5b9bd5";
// A stroke as well as the fill: at the whole district's zoom a 340 m river is a pixel or
// two wide.
const style = () => ({ color: COLOUR, weight: 3, fillColor: COLOUR, fillOpacity: 0.85 });

export default {
  id: "water",
  title: "layer_water",
  className: "onemap-water",
  zIndex: 415,
  visible: true,
  interactive: false,
  status: false,
  source: collection("water_areas", { pad: 1 }),
  style,
  legend: () => [{ style: style(), label: word("layer_water") }],
};
