// Choropleths: every grid, community or subdistrict coloured by one indicator's class, as
// GET /api/v1/indicators/areas classes it (quantiles or natural breaks, by mapclassify on
// the server). The map and the legend take their colours from the one ramp below, so a
// class looks the same in both; the indicator's definition and unit (the API's, zh/en)
// stand beside the legend. The outlines come from the OGC API's collection of the level.
// The period (web/panels/period.js) and the number of classes (3–7) go to the API as its
// `from`, `to` and `classes`: the legend is the API's classes for them, never re-cut here.
import * as L from "leaflet";
import { element } from "../core/dom.js";
import { API, getFeatures, getJSON, isAbort, itemsURL } from "../core/fetch.js";
import { currentLanguage, onLanguageChange, word } from "../core/i18n.js";
import { ANALYST_ROLES, mayRead, signedIn } from "../core/session.js";
import { onPeriodChange, periodPicker, withPeriod } from "./period.js";
import { formatValue, LEVEL_WORDS } from "./place.js";

export const LEVELS = ["grid", "community", "subdistrict"];
const COLLECTIONS = { grid: "grids", community: "communities", subdistrict: "subdistricts" };
export const INDICATORS = [
  "events_per_1000_households",
  "closure_rate",
  "on_time_closure_rate",
  "overdue_share",
  "mean_rating",
  "households_per_member",
  "service_coverage_15",
  "patrol_coverage",
  "patrol_standard",
];
// The patrol indicators say where people walked and when: the API answers them to a
// signed-in analyst only (app/routers/indicators.py), so only an analyst is offered them
// and an anonymous visit never asks for one (and is never refused).
export const METHODS = ["quantiles", "natural_breaks"];
// how many classes the map may be cut into: fewer than three says little, more than seven
// no eye tells apart on a ramp (the API takes 2–9)
export const CLASS_COUNTS = [3, 4, 5, 6, 7];
const NO_VALUE_COLOUR = "#d1d5db";
// Light (low) to dark (high): pale sand, amber, brick red, deep maroon.
const RAMP = [
  [254, 243, 199],
  [245, 158, 11],
  [185, 28, 28],
  [76, 5, 25],
];

// The colour of class `index` of `count`, sampled evenly along the ramp.
export function classColour(index, count) {
  const at = count <= 1 ? 1 : index / (count - 1);
  const scaled = at * (RAMP.length - 1);
  const low = Math.min(Math.floor(scaled), RAMP.length - 2);
  const share = scaled - low;
  const channel = (c) => Math.round(RAMP[low][c] + share * (RAMP[low + 1][c] - RAMP[low][c]));
  return `#${[0, 1, 2].map((c) => channel(c).toString(16).padStart(2, "0")).join("")}`;
}

function fillOf(properties, count) {
  const index = properties.indicator_class;
  return index === null || index === undefined ? NO_VALUE_COLOUR : classColour(index, count);
}

function select(id, options, chosen, label) {
  const box = element("label", "onemap-analysis-row");
  const menu = element("select");
  menu.id = id;
  for (const [value, text] of options) {
    const option = element("option", null, text);
    option.value = value;
    option.selected = value === chosen;
    menu.append(option);
  }
  box.append(element("span", null, label), menu);
  return { box, menu };
}

export function choroplethPanel(map, place) {
  const pane = map.createPane("choropleth");
  // above the grids' own fills, under the community and subdistrict outlines
  pane.style.zIndex = "415";
  const state = { on: false, level: "community", indicator: "events_per_1000_households", method: "quantiles", classes: 5 };
  const outlines = new Map();
  let answer = null;
  let failure = null;
  let controller = null;
  const layer = L.geoJSON(null, {
    pane: "choropleth",
    className: "onemap-choropleth",
    style: (feature) => ({
      color: "#ffffff",
      weight: 1,
      fillColor: fillOf(feature.properties, answer?.classes.length ?? 0),
      fillOpacity: 0.85,
    }),
    onEachFeature: (feature, path) => {
      path.on("add", () => {
        const element = path.getElement();
        element.setAttribute("data-code", String(feature.id));
        element.setAttribute("data-class", String(feature.properties.indicator_class ?? ""));
      });
      path.bindTooltip(() => {
        const value = formatValue(feature.properties.indicator_value, answer?.indicator.unit);
        return element("span", null, `${feature.properties.name} · ${value}`);
      }, { sticky: true });
      path.on("click", () => place.open({ code: String(feature.id) }).catch(() => {}));
    },
  });

  const control = L.control({ position: "topleft" });
  let loaded = Promise.resolve(null);
  let person = null;
  signedIn.then((signedInPerson) => {
    person = signedInPerson;
    control.render();
  });
  const offered = () =>
    INDICATORS.filter((name) => !name.startsWith("patrol_") || mayRead(person, ANALYST_ROLES));

  async function outlinesOf(level, signal) {
    if (!outlines.has(level)) {
      const { features } = await getFeatures(itemsURL(COLLECTIONS[level], { limit: 1000 }), { signal });
      outlines.set(level, features);
    }
    return outlines.get(level);
  }

  async function load() {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    const url = new URL("indicators/areas", API);
    url.searchParams.set("level", state.level);
    url.searchParams.set("indicator", state.indicator);
    url.searchParams.set("method", state.method);
    url.searchParams.set("classes", String(state.classes));
    withPeriod(url);
    try {
      const [areas, features] = await Promise.all([
        getJSON(url, { signal: mine.signal }),
        outlinesOf(state.level, mine.signal),
      ]);
      if (mine.signal.aborted) return null;
      failure = null;
      answer = areas;
      const byCode = new Map(areas.areas.map((area) => [area.code, area]));
      layer.clearLayers();
      layer.addData(
        features.map((feature) => {
          const area = byCode.get(String(feature.id));
          return {
            ...feature,
            properties: {
              ...feature.properties,
              indicator_value: area ? area.value : null,
              indicator_class: area ? area.class : null,
            },
          };
        }),
      );
      if (!map.hasLayer(layer)) layer.addTo(map);
      control.render();
      return { url: url.href, drawn: layer.getLayers().length, classes: areas.classes };
    } catch (error) {
      if (isAbort(error) || mine.signal.aborted) return null;
      failure = error;
      answer = null;
      layer.clearLayers();
      control.render();
      return { url: url.href, error: error.message };
    }
  }

  function refresh() {
    if (state.on) {
      answer = null;
      failure = null;
      loaded = load();
    } else {
      controller?.abort();
      map.removeLayer(layer);
      answer = null;
      failure = null;
      loaded = Promise.resolve(null);
    }
    control.render();
    return loaded;
  }

  function legend() {
    const box = element("div", "onemap-choropleth-legend");
    if (failure) {
      box.append(element("div", "onemap-bad", failure.message));
      return box;
    }
    if (!answer) {
      box.append(element("div", "onemap-hint", word("loading")));
      return box;
    }
    const { indicator, classes, areas, total } = answer;
    const language = currentLanguage();
    box.append(element("div", "onemap-analysis-title", indicator.title[language]));
    for (const entry of classes) {
      const row = element("div", "onemap-legend-row onemap-choropleth-class");
      row.dataset.class = String(entry.class);
      row.dataset.lower = String(entry.lower);
      row.dataset.upper = String(entry.upper);
      row.dataset.count = String(entry.count);
      const key = element("span", "onemap-legend-swatch");
      key.style.background = classColour(entry.class, classes.length);
      row.dataset.colour = classColour(entry.class, classes.length);
      row.append(
        key,
        element("span", null, word("class_range", {
          lower: formatValue(entry.lower, indicator.unit),
          upper: formatValue(entry.upper, indicator.unit),
          count: entry.count,
        })),
      );
      box.append(row);
    }
    const missing = areas.filter((area) => area.value === null).length;
    if (missing) {
      const row = element("div", "onemap-legend-row onemap-choropleth-class");
      row.dataset.class = "";
      row.dataset.count = String(missing);
      row.dataset.colour = NO_VALUE_COLOUR;
      const key = element("span", "onemap-legend-swatch");
      key.style.background = NO_VALUE_COLOUR;
      row.append(key, element("span", null, word("no_value_count", { count: missing })));
      box.append(row);
    }
    const district = element("div", "onemap-analysis-total", word("district_figure", { value: formatValue(total.value, indicator.unit) }));
    district.dataset.value = String(total.value);
    box.append(
      district,
      element("p", "onemap-definition", indicator.definition[language]),
      element("p", "onemap-hint", indicator.unit[language]),
    );
    return box;
  }

  control.onAdd = function () {
    this.box = element("div", "onemap-panel onemap-analysis");
    // one picker, kept across renders: the period is the page's, shared with the charts
    this.period = periodPicker("onemap-period");
    onPeriodChange(() => {
      if (state.on) refresh();
    });
    L.DomEvent.disableClickPropagation(this.box);
    L.DomEvent.disableScrollPropagation(this.box);
    this.render();
    onLanguageChange(() => this.render());
    return this.box;
  };
  control.render = function () {
    if (!this.box) return;
    const box = this.box;
    const tick = element("input");
    tick.type = "checkbox";
    tick.id = "onemap-choropleth-on";
    tick.checked = state.on;
    tick.addEventListener("change", () => {
      state.on = tick.checked;
      refresh();
    });
    const toggle = element("label", "onemap-analysis-row");
    toggle.append(tick, element("span", null, word("choropleth_on")));
    box.replaceChildren(element("h2", null, word("analysis")), this.period, toggle);
    if (!state.on) return;
    const level = select("onemap-choropleth-level", LEVELS.map((value) => [value, word(LEVEL_WORDS[value])]), state.level, word("level"));
    const indicator = select("onemap-choropleth-indicator", offered().map((value) => [value, word(`indicator_${value}`)]), state.indicator, word("indicator"));
    const method = select("onemap-choropleth-method", METHODS.map((value) => [value, word(`method_${value}`)]), state.method, word("classes_method"));
    const counts = select("onemap-choropleth-classes", CLASS_COUNTS.map((n) => [String(n), String(n)]), String(state.classes), word("period_classes"));
    for (const [key, { menu }] of [["level", level], ["indicator", indicator], ["method", method]]) {
      menu.addEventListener("change", () => {
        state[key] = menu.value;
        refresh();
      });
    }
    counts.menu.addEventListener("change", () => {
      state.classes = Number(counts.menu.value);
      refresh();
    });
    box.append(level.box, indicator.box, method.box, counts.box, legend());
  };
  // `show({level, indicator, method, classes})` switches the choropleth on with those choices and
  // resolves with the load's outcome; `loaded` is the latest load's.
  control.show = (choices = {}) => {
    Object.assign(state, choices, { on: true });
    return refresh();
  };
  control.layer = layer;
  Object.defineProperty(control, "loaded", { get: () => loaded });
  return control;
}
