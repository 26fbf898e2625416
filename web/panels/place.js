// The place panel: a subdistrict, community, grid, building (GET /api/v1/places/{code}) or
// compound (GET /api/v1/places/compounds/{id}) — who serves it, who lives there, its
// service centres against the standard, 15-minute coverage, patrols, events by stage and
// its indicators beside the district's. Opened by search, by the choropleth, or by
// clicking a grid, compound or building on the map. Every figure is the API's as it is;
// the page only formats it.
import * as L from "leaflet";
import { element } from "../core/dom.js";
import { API, getJSON, isAbort, OGC } from "../core/fetch.js";
import { currentLanguage, onLanguageChange, term, word } from "../core/i18n.js";

// What a place's level is called: the layer of that level.
export const LEVEL_WORDS = {
  subdistrict: "layer_subdistricts",
  township: "layer_subdistricts",
  community: "layer_communities",
  grid: "layer_grids",
  compound: "layer_compounds",
  building: "layer_buildings",
};
// The map's layers whose features open a panel when clicked, and the panel each opens.
const CLICKABLE = {
  grids: (feature) => ({ code: String(feature.id) }),
  buildings: (feature) => ({ code: String(feature.id) }),
  compounds: (feature) => ({ compound: feature.properties.compound_id }),
};

// Fits the map to a place's bbox ([west, south, east, north]) in the part of the map the
// panel along the right edge leaves free.
export function fitPlace(map, [west, south, east, north]) {
  const drawer = map.getContainer().querySelector(".onemap-place");
  const covered = drawer && !drawer.hidden ? drawer.offsetWidth + 20 : 0;
  map.fitBounds([[south, west], [north, east]], {
    paddingTopLeft: [40, 40],
    paddingBottomRight: [40 + covered, 40],
    maxZoom: 18,
    animate: false,
  });
}

// A share 0–1 as a percentage; other figures as they are, grouped by the language's habit.
export function formatValue(value, unit) {
  if (value === null || value === undefined) return word("no_value");
  if (unit?.en?.startsWith("share")) return `${(value * 100).toFixed(1)}%`;
  return Number(value).toLocaleString(currentLanguage() === "zh" ? "zh-CN" : "en", {
    maximumFractionDigits: 2,
  });
}

function when(instant) {
  if (!instant) return "—";
  return new Date(instant).toLocaleString(currentLanguage() === "zh" ? "zh-CN" : "en", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

function kindOf(panel) {
  const vocabulary = {
    subdistrict: "subdistrict_kinds",
    township: "subdistrict_kinds",
    community: "community_kinds",
    building: "building_uses",
    compound: "compound_types",
  }[panel.level];
  if (panel.level === "grid") {
    const dedicated = panel.attributes?.dedicated_kind;
    return dedicated ? term("dedicated_kinds", dedicated) : term("grid_types", panel.attributes?.grid_type || panel.kind);
  }
  return vocabulary ? term(vocabulary, panel.kind) : panel.kind;
}

function section(title, ...children) {
  const box = element("section", "onemap-place-section");
  box.append(element("h3", null, title), ...children);
  return box;
}

// [term, value, key] rows; the key names the figure for tests and styling.
function figures(rows) {
  const list = element("dl");
  for (const [name, value, key] of rows) {
    const dd = element("dd", null, value ?? "—");
    if (key) dd.dataset.figure = key;
    list.append(element("dt", null, name), dd);
  }
  return list;
}

function heading(panel, open) {
  const box = element("div", "onemap-place-heading");
  // a building often has no name of its own: its level and code stand in
  const name = element("h2", null, panel.name || `${word(LEVEL_WORDS[panel.level])} ${panel.code}`);
  const level = element("span", "onemap-place-kind", `${word(LEVEL_WORDS[panel.level] || "place_panel")} · ${kindOf(panel) ?? ""}`);
  const trail = element("div", "onemap-place-parents");
  for (const parent of panel.parents || []) {
    const opens = LEVEL_WORDS[parent.level] && parent.level !== "county";
    const link = element(opens ? "button" : "span", opens ? "onemap-link" : null, parent.name);
    if (opens) {
      link.type = "button";
      link.addEventListener("click", () => open({ code: parent.code }, { fit: true }));
    }
    trail.append(link, element("span", null, " › "));
  }
  trail.lastChild?.remove();
  box.append(name, level, element("div", "onemap-place-code", `${word("code")} ${panel.code}`), trail);
  return box;
}

function people(panel) {
  const team = panel.team;
  const rows = [
    [word("households"), panel.households, "households"],
    [word("population"), panel.residents, "residents"],
  ];
  if (panel.buildings !== undefined) rows.push([word("buildings"), panel.buildings, "buildings"]);
  if (panel.compounds !== undefined) rows.push([word("compounds"), panel.compounds, "compounds"]);
  if (team) {
    rows.push(
      [word("grids"), team.grids, "grids"],
      [word("team_leaders"), team.leaders, "leaders"],
      [word("team_instructors"), team.instructors, "instructors"],
      [word("team_members"), team.members, "members"],
    );
    if (team.names_shown && team.people?.length) {
      rows.push([word("team_people"), team.people.map((person) => person.name).join("、"), "people"]);
    }
  }
  return figures(rows);
}

function centres(panel) {
  const { standard, centres: list = [] } = panel.service_centres || {};
  const box = element("div");
  if (standard) {
    box.append(element("div", "onemap-hint", word("centre_standard", {
      community: standard.community_centre_min_m2,
      compound: standard.compound_centre_min_m2,
    })));
  }
  const rows = element("ul", "onemap-place-list");
  for (const centre of list) {
    const row = element("li");
    row.dataset.centre = String(centre.id);
    const area = centre.required_m2 === null
      ? `${centre.area_m2} m²`
      : word("centre_area", { area: centre.area_m2, required: centre.required_m2 });
    const verdict = centre.meets_area
      ? element("span", "onemap-ok", word("centre_meets"))
      : element("span", "onemap-bad", word("centre_short", { shortfall: centre.shortfall_m2 }));
    row.append(
      element("span", null, centre.name),
      element("span", "onemap-hint", ` ${term("centre_levels", centre.level)} · ${area} `),
      verdict,
    );
    rows.append(row);
  }
  box.append(rows);
  return box;
}

function coverage(panel) {
  const cover = panel.coverage;
  if (!cover) return element("div", null, "—");
  if (cover.covered !== undefined && cover.share === undefined) {
    return figures([[word("coverage_15"), word(cover.covered ? "yes" : "no"), "coverage"]]);
  }
  return figures([[word("coverage_15"), word("coverage_share", {
    covered: cover.covered_households,
    households: cover.households,
    share: formatValue(cover.share, { en: "share" }),
  }), "coverage"]]);
}

function patrols(panel) {
  const patrol = panel.patrols;
  return figures([
    [word("patrol_buildings", { patrolled: patrol.buildings_patrolled, buildings: patrol.buildings }), formatValue(patrol.coverage, { en: "share" }), "patrol_coverage"],
    [word("patrol_grids", { meeting: patrol.grids_meeting_standard, grids: patrol.grids }), "", "patrol_standard"],
    [word("patrol_last"), when(patrol.last_patrolled_at), "patrol_last"],
  ]);
}

function events(panel) {
  const found = panel.events;
  const box = element("div");
  const counts = element("div", "onemap-place-counts", word("events_counts", found));
  counts.dataset.figure = "events";
  box.append(counts);
  if (found.public_view) box.append(element("div", "onemap-hint", word("events_public")));
  const stages = figures(Object.entries(found.open_by_stage || {}).map(([stage, count]) => [term("event_statuses", stage), count, `stage_${stage}`]));
  box.append(stages);
  const latest = element("ul", "onemap-place-list");
  for (const event of found.latest || []) {
    const row = element("li");
    row.dataset.event = event.tracking_number;
    const category = currentLanguage() === "zh" ? event.category_name : event.category_name_en || event.category_name;
    row.append(
      element("span", null, `${category} · ${term("event_statuses", event.stage)}`),
      element("span", "onemap-hint", ` ${word("deadline", { deadline: when(event.deadline_at) })}`),
    );
    if (event.overdue) row.append(element("span", "onemap-bad", ` ${word("event_overdue")}`));
    latest.append(row);
  }
  box.append(latest);
  return box;
}

function indicators(panel) {
  const table = element("table", "onemap-place-indicators");
  for (const indicator of panel.indicators?.values || []) {
    const row = element("tr");
    row.dataset.indicator = indicator.name;
    const here = element("td", "onemap-figure", formatValue(indicator.value, indicator.unit));
    here.dataset.value = String(indicator.value);
    const district = element("td", "onemap-hint", formatValue(indicator.district, indicator.unit));
    district.dataset.value = String(indicator.district);
    row.append(element("th", null, indicator.title[currentLanguage()]), here, district);
    table.append(row);
  }
  return table;
}

function render(box, shown, open, close) {
  const top = element("div", "onemap-place-top");
  const closer = element("button", "onemap-close", "×");
  closer.type = "button";
  closer.title = word("close");
  closer.setAttribute("aria-label", word("close"));
  closer.addEventListener("click", close);
  if (shown.state === "loading") {
    top.append(element("h2", null, word("place_panel")), closer);
    box.replaceChildren(top, element("div", "onemap-hint", word("loading")));
    return;
  }
  if (shown.state === "failed") {
    top.append(element("h2", null, word("place_panel")), closer);
    box.replaceChildren(top, element("div", "onemap-bad", shown.error.message));
    return;
  }
  const panel = shown.panel;
  top.append(heading(panel, open), closer);
  box.replaceChildren(top);
  box.dataset.code = panel.code ?? "";
  box.dataset.level = panel.level;
  // a building's or compound's grid, by its code: its team, patrols and indicators
  if (panel.grid && panel.level !== "grid") {
    const grid = element("button", "onemap-link", panel.grid);
    grid.type = "button";
    grid.addEventListener("click", () => open({ code: panel.grid }, { fit: true }));
    const row = element("div", "onemap-hint", `${word("grid_of")} `);
    row.append(grid);
    box.append(row);
  }
  box.append(section(word("place_people"), people(panel)));
  box.append(section(word("centres"), centres(panel)));
  box.append(section(word("coverage_15"), coverage(panel)));
  if (panel.patrols) box.append(section(word("patrols"), patrols(panel)));
  box.append(section(word("layer_events"), events(panel)));
  box.append(section(word("indicators"), indicators(panel)));
}

// The panel as a drawer along the map's right edge, over the layer switcher while it is
// open (a place's figures need the height); `open({code} | {compound}, {fit})` loads and
// shows a place (fitting the map to it when asked) and resolves with the API's panel.
export function placePanel(map, entries) {
  const control = {};
  let shown = null;
  let controller = null;
  // the open place's outline, over every layer, so it is plain on the map which place the
  // panel is about
  const pane = map.createPane("placeOutline");
  pane.style.zIndex = "445";
  const outline = L.geoJSON(null, {
    pane: "placeOutline",
    className: "onemap-place-outline",
    interactive: false,
    style: () => ({ color: "#b71c1c", weight: 4, fill: false }),
  }).addTo(map);
  const close = () => {
    controller?.abort();
    shown = null;
    outline.clearLayers();
    control.box.hidden = true;
  };
  const draw = () => {
    if (shown) render(control.box, shown, control.open, close);
  };
  control.addTo = function (target) {
    this.box = element("aside", "onemap-panel onemap-place");
    this.box.hidden = true;
    L.DomEvent.disableClickPropagation(this.box);
    L.DomEvent.disableScrollPropagation(this.box);
    onLanguageChange(draw);
    target.getContainer().append(this.box);
    return this;
  };
  control.open = async function (target, { fit = false } = {}) {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    const url = target.compound !== undefined
      ? new URL(`places/compounds/${encodeURIComponent(target.compound)}`, API)
      : new URL(`places/${encodeURIComponent(target.code)}`, API);
    const where = target.compound !== undefined
      ? new URL(`collections/compounds/items/${encodeURIComponent(target.compound)}`, OGC)
      : new URL(`codes/${encodeURIComponent(target.code)}`, API);
    shown = { state: "loading" };
    outline.clearLayers();
    control.box.hidden = false;
    draw();
    try {
      const [panel, shape] = await Promise.all([
        getJSON(url, { signal: mine.signal }),
        getJSON(where, { signal: mine.signal }),
      ]);
      if (mine.signal.aborted) return null;
      shown = { state: "loaded", panel };
      outline.addData(shape);
      draw();
      if (fit && panel.bbox) fitPlace(map, panel.bbox);
      return panel;
    } catch (error) {
      if (isAbort(error) || mine.signal.aborted) return null;
      shown = { state: "failed", error };
      draw();
      throw error;
    }
  };
  // a click on a grid, compound or building opens its panel (beside the layer's popup)
  for (const { definition, layer } of entries) {
    const target = CLICKABLE[definition.id];
    if (!target) continue;
    layer.on("click", (event) => {
      const feature = (event.propagatedFrom || event.layer)?.feature;
      if (feature) control.open(target(feature)).catch(() => {});
    });
  }
  return control;
}
