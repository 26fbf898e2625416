// Grids (网格) by type, the map's base: hovering one shows it in the info box, clicking
// zooms to it and opens its popup, outlined in red while the popup is open so that after
// the zoom it is still plain which grid the popup is about.
import * as L from "leaflet";
import { card, definitionList, element } from "../core/dom.js";
import { currentLanguage, onLanguageChange, term, word } from "../core/i18n.js";
import { collection } from "./source.js";

const COLOURS = { base: "#4e9a6f", dedicated: "#d9822b" };
const UNKNOWN_COLOUR = "#9ca3af";
const HIGHLIGHT = { weight: 3, color: "#1f2933", fillOpacity: 0.75 };

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

function details(p) {
  return [
    [word("grid_code"), p.grid_code],
    [word("type"), typeLabel(p)],
    [word("community_code"), p.community_code],
    [word("team"), word("team_counts", p)],
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

export default {
  id: "grids",
  title: "layer_grids",
  className: "onemap-grid",
  zIndex: 410,
  visible: true,
  // Grids at district scale run to a few thousand: held whole once loaded.
  source: collection("grids", { pad: 1, limit: 1000, cap: 10000 }),
  style,
  legend: () => Object.keys(COLOURS).map((type) => ({ style: style({ properties: { grid_type: type } }), label: term("grid_types", type) })),
  popup: (p) => card(p.name, details(p).slice(1)),
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
