// Buildings (楼栋) run to tens of thousands: only those in view, and only when zoomed in
// far enough for a building to be more than a speck. Drawn from the buildings' vector
// tiles (web/layers/tiles.js; `?draw=geojson` from the features API).
import { card } from "../core/dom.js";
import { term, word } from "../core/i18n.js";
import { collection } from "./source.js";
import { DRAW_FROM_TILES, tiledCollection } from "./tiles.js";

export const BUILDING_MIN_ZOOM = 16;
const COLOUR = "#6b4f3a";
const style = () => ({ color: COLOUR, weight: 1, fillColor: COLOUR, fillOpacity: 0.6 });
const CLASS_NAME = "onemap-building";
const popup = (p) =>
  card(p.name || word("layer_buildings"), [
    [word("building_code"), p.building_code],
    [word("use"), term("building_uses", p.building_use)],
    [word("floors"), p.floors],
    [word("units"), p.units],
    [word("households"), p.households],
    [word("population"), p.population],
  ]);
const drawing = DRAW_FROM_TILES
  ? tiledCollection("buildings", { idProperty: "building_code", minZoom: BUILDING_MIN_ZOOM, className: CLASS_NAME, style, popup })
  : { source: collection("buildings", { limit: 500, cap: 3000, minZoom: BUILDING_MIN_ZOOM }) };

export default {
  id: "buildings",
  title: "layer_buildings",
  className: CLASS_NAME,
  zIndex: 430,
  visible: true,
  source: drawing.source,
  makeLayer: drawing.makeLayer,
  style,
  legend: () => [{ style: style(), label: word("legend_buildings", { zoom: BUILDING_MIN_ZOOM }) }],
  popup,
};
