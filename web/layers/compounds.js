// Compounds (小区): residential compounds by type, when zoomed in far enough for them to
// be more than specks. Off at first: their popups would take the grids' mouse.
import { card } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { collection } from "./source.js";

const MIN_ZOOM = 14;
const COLOUR = "#7c3aed";
const style = () => ({ color: COLOUR, weight: 1.5, fillColor: COLOUR, fillOpacity: 0.15, dashArray: "4 3" });

export default {
  id: "compounds",
  title: "layer_compounds",
  className: "onemap-compound",
  zIndex: 418,
  visible: false,
  source: collection("compounds", { limit: 500, cap: 3000, minZoom: MIN_ZOOM }),
  style,
  legend: () => [{ style: style(), label: word("legend_compounds") }],
  popup: (p) =>
    card(p.name, [
      [word("type"), term("compound_types", p.compound_type)],
      [word("community_code"), p.community_code],
      [word("built_year"), p.built_year],
      [
        word("property_manager"),
        p.has_property_manager === null ? null : word(p.has_property_manager ? "yes" : "no"),
      ],
    ]),
};
