// Grids (网格) by type, the map's base: hovering one shows it in the info box, clicking
// zooms to it and opens its popup, outlined in red while the popup is open so that after
// the zoom it is still plain which grid the popup is about. Drawn from the grids' vector
// tiles (web/layers/tiles.js; `?draw=geojson` from the features API): a city's grids do
// not fit in a page as GeoJSON. The choropleth (web/panels/indicators.js) keeps its own
// GeoJSON layer over these, so it is the same whichever way the grids are drawn.
import * as L from "leaflet";
import { card, definitionList, element } from "../core/dom.js";
import { currentLanguage, onLanguageChange, term, word } from "../core/i18n.js";
import { collection } from "./source.js";
import { DRAW_FROM_TILES, tiledCollection } from "./tiles.js";

const COLOURS = { base: "#4e9a6f", dedicated: "#d9822b" };
const UNKNOWN_COLOUR = "#9ca3af";
const HIGHLIGHT = { weight: 3, color: "#1f2933", fillOpacity: 0.75 };
// the grid whose popup is open, drawn from tiles (the GeoJSON path styles it in style())
const CHOSEN = { color: "#b71c1c", weight: 3 };

// One colour function for the style and the legend, so they cannot disagree.
const colour = (gridType) => COLOURS[gridType] || UNKNOWN_COLOUR;

let selected = null;

function style(feature) {
  const isSelected = selected !== null && selected.feature === feature;
  return {
    color: isSelected ? "#b71c1c" : "#ffffff",
    weight: isSelected ? 3 : 1.5,
    fillColor: colour(feature.properties.grid_type),
    fillOpacity: 0.55,
  };
}

function typeLabel(p) {
  const type = term("grid_types", p.grid_type);
  if (p.grid_type === "dedicated" && p.dedicated_kind) {
    const kind = term("dedicated_kinds", p.dedicated_kind);
    return currentLanguage() === "zh" ? `${type}（${kind}）` : `${type} (${kind})`;
  }
  return type;
}

// A grid's tile leaves out its community's code (the first 12 digits of its own) and,
// below z14, its team (docs/tiles.md): the code is read from the grid's, the team is
// left to the grid's panel rather than shown as blanks.
function details(p) {
  const team = p.leaders === undefined ? [] : [[word("team"), word("team_counts", p)]];
  return [
    [word("grid_code"), p.grid_code],
    [word("type"), typeLabel(p)],
    [word("community_code"), p.community_code ?? p.grid_code?.slice(0, 12)],
    ...team,
    [word("households"), p.households],
    [word("population"), p.population],
  ];
}

// The info box (top right): the grid under the mouse, or how to get one there.
const info = L.control({ position: "topright" });
info.onAdd = function () {
  this.box = element("div", "onemap-panel onemap-info");
  this.show(null);
  onLanguageChange(() => this.show(this.shown));
  return this.box;
};
info.show = function (properties) {
  this.shown = properties;
  this.box.replaceChildren(element("h2", null, word("grid_info")));
  if (!properties) {
    this.box.append(element("div", "onemap-hint", word("grid_hint")));
    return;
  }
  this.box.append(element("div", "onemap-info-name", properties.name), definitionList(details(properties)));
};

const CLASS_NAME = "onemap-grid";

// Drawn from tiles: the same hover, popup and outline of the chosen grid, by the grid's
// code across every tile it crosses (a tile holds its part of the grid only, so a click
// opens the popup where it was made rather than zooming to the part).
function tiled() {
  const { source, makeLayer } = tiledCollection("grids", { idProperty: "grid_code", className: CLASS_NAME, style });
  let chosen = null;
  const restyle = (code) => layer.setFeatureStyle(code, (p) => ({ fill: true, ...style({ properties: p }), ...(code === chosen ? CHOSEN : {}), className: CLASS_NAME }));
  let layer = null;
  return {
    source,
    makeLayer: ({ pane, map }) => {
      layer = makeLayer({ pane, map });
      layer.on({
        mouseover: ({ layer: part }) => {
          layer.setFeatureStyle(part.feature.id, (p) => ({ fill: true, ...style({ properties: p }), ...HIGHLIGHT, className: CLASS_NAME }));
          info.show(part.feature.properties);
        },
        mouseout: ({ layer: part }) => {
          if (part.feature.id === chosen) restyle(chosen);
          else layer.resetFeatureStyle(part.feature.id);
          info.show(null);
        },
        click: ({ layer: part, latlng }) => {
          const previous = chosen;
          chosen = part.feature.id;
          if (previous && previous !== chosen) layer.resetFeatureStyle(previous);
          restyle(chosen);
          const bubble = L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(popup(part.feature.properties));
          bubble.on("remove", () => {
            if (chosen !== part.feature.id) return;
            chosen = null;
            layer.resetFeatureStyle(part.feature.id);
          });
          bubble.openOn(map);
        },
      });
      return layer;
    },
  };
}

const popup = (p) => card(p.name, details(p).slice(1));
// Grids at district scale run to a few thousand: as GeoJSON, held whole once loaded.
const drawing = DRAW_FROM_TILES ? tiled() : { source: collection("grids", { pad: 1, limit: 1000, cap: 10000 }) };

export default {
  id: "grids",
  title: "layer_grids",
  className: CLASS_NAME,
  zIndex: 410,
  visible: true,
  source: drawing.source,
  makeLayer: drawing.makeLayer,
  style,
  legend: () => Object.keys(COLOURS).map((type) => ({ style: style({ properties: { grid_type: type } }), label: term("grid_types", type) })),
  popup,
  controls: [info],
  bind(feature, path, { map, layer }) {
    const select = (next) => {
      const previous = selected;
      selected = next;
      if (previous) layer.resetStyle(previous);
      if (next) layer.resetStyle(next);
    };
    path.on({
      // The path element exists only once on the map; the code lets tests and users'
      // tooling find a grid in the DOM.
      add: () => path.getElement().setAttribute("data-grid-code", feature.properties.grid_code),
      mouseover: () => {
        path.setStyle(HIGHLIGHT);
        path.bringToFront();
        info.show(feature.properties);
      },
      mouseout: () => {
        layer.resetStyle(path);
        info.show(null);
      },
      click: () => {
        select(path);
        map.fitBounds(path.getBounds(), { padding: [40, 40] });
      },
      popupclose: () => {
        if (selected === path) select(null);
      },
    });
  },
};
