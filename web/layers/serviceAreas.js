// Service areas (服务圈): what each service centre reaches in the chosen minutes' walk.
import { card } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { access, accessSource, minutesControl } from "./access.js";

// Yellow, not blue: the water is blue, and under a blue cover the two could not be told
// apart at street zoom.
const COLOUR = "#ca8a04";
// Hundreds overlap: each is drawn opaque and the pane as a whole see-through, so the
// areas read as one light yellow cover (their union) however many reach a place.
const PANE_OPACITY = 0.3;
const style = () => ({ color: COLOUR, weight: 1, fillColor: COLOUR, fillOpacity: 1 });

export default {
  id: "serviceAreas",
  title: "layer_service_areas",
  className: "onemap-service-area",
  zIndex: 428,
  paneOpacity: PANE_OPACITY,
  visible: false,
  source: accessSource("areas"),
  style,
  legend: () => [{ style: { ...style(), fillOpacity: PANE_OPACITY }, label: word("legend_service_areas", { minutes: access.minutes }) }],
  popup: (p) =>
    card(p.name, [
      [word("level"), term("centre_levels", p.level)],
      [word("walk"), word("walk_minutes", { minutes: p.minutes, metres: Math.round(p.distance_m) })],
      [word("method"), term("service_area_methods", p.method)],
      [word("households_reached"), p.households],
      [word("population_reached"), p.population],
    ]),
  controls: [minutesControl],
};
