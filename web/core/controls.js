// The controls made from the layer registry: the layer switcher and the legend (both list
// every registered layer by its title, the legend with keys drawn from the layer's own
// style), and the language toggle. All are redrawn when the language changes.
import * as L from "leaflet";
import { element, swatch } from "./dom.js";
import { currentLanguage, onLanguageChange, toggleLanguage, word } from "./i18n.js";

function panel(position, className, render) {
  const control = L.control({ position });
  control.onAdd = function () {
    this.box = element("div", `onemap-panel ${className}`);
    L.DomEvent.disableClickPropagation(this.box);
    L.DomEvent.disableScrollPropagation(this.box);
    this.render = () => render(this.box);
    this.render();
    onLanguageChange(this.render);
    return this.box;
  };
  return control;
}

// One checkbox per registered layer, kept in step with the map however a layer is added.
export function layerSwitcher(map, entries) {
  const control = panel("topright", "onemap-layers", (box) => {
    box.replaceChildren(element("h2", null, word("layers")));
    for (const { definition, layer } of entries) {
      const tick = element("input");
      tick.type = "checkbox";
      tick.dataset.layer = definition.id;
      tick.checked = map.hasLayer(layer);
      tick.addEventListener("change", () => (tick.checked ? map.addLayer(layer) : map.removeLayer(layer)));
      const row = element("label", "onemap-layers-row");
      row.append(tick, element("span", null, word(definition.title)));
      box.append(row);
    }
  });
  // the registered layers' own add/remove (the map's layeradd fires for every feature)
  for (const { layer } of entries) layer.on("add remove", () => control.render && control.render());
  return control;
}

// The keys of the layers on the map, each from the layer's own legend (and so its style).
// It stands under the layer switcher in the one right-hand column, which map.css makes a
// flex column as tall as the map: the legend takes the height the switcher leaves and
// scrolls within it, so with every layer on a laptop's screen the two never overlap.
export function legend(map, entries) {
  const control = panel("topright", "onemap-legend", (box) => {
    box.replaceChildren(element("h2", null, word("legend")));
    for (const { definition, layer } of entries) {
      if (!map.hasLayer(layer) || !definition.legend) continue;
      for (const { style, label } of definition.legend()) {
        const row = element("div", "onemap-legend-row");
        row.dataset.layer = definition.id;
        row.append(swatch(style), element("span", null, label));
        box.append(row);
      }
    }
  });
  // the registered layers' own add/remove (the map's layeradd fires for every feature)
  for (const { layer } of entries) layer.on("add remove", () => control.render && control.render());
  return control;
}

export function languageToggle() {
  const control = L.control({ position: "topleft" });
  control.onAdd = function () {
    const button = element("button", "onemap-panel onemap-language");
    button.type = "button";
    button.id = "onemap-language";
    const render = () => {
      button.textContent = word("switch_language");
      // it names the other language, partly in that language's own words
      button.lang = currentLanguage() === "zh" ? "en" : "zh-CN";
    };
    render();
    onLanguageChange(render);
    button.addEventListener("click", toggleLanguage);
    L.DomEvent.disableClickPropagation(button);
    return button;
  };
  return control;
}
