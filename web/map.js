// The one map (一张图), first version: grids, buildings and community outlines of the
// district. The page only draws: every feature comes from this service's OGC API Features
// endpoints (/ogc), and what its values are called from the service's vocabulary. Plain
// script, no build step; Leaflet is served by the app itself.
//
// Feature properties are data typed in by people, so they reach the page only through
// textContent (never innerHTML), whether in the info box, popups or labels.
(function () {
  "use strict";

  // Resolved against the page, so the service may sit under a path prefix.
  const API = new URL("ogc/", document.baseURI);

  // Grids and communities are district-scale (hundreds to a few thousand): loaded once.
  // Buildings run to tens of thousands: only those in view, and only when zoomed in far
  // enough for a building to be more than a speck.
  const DISTRICT_PAGE = 1000;
  const DISTRICT_CAP = 10000;
  const BUILDING_MIN_ZOOM = 16;
  const BUILDING_PAGE = 500;
  const BUILDING_CAP = 3000;
  // A hundred-odd community names over the whole district are unreadable; from this zoom a
  // community is wide enough on screen to carry its name.
  const COMMUNITY_LABEL_MIN_ZOOM = 15;

  const GRID_COLOURS = { base: "#4e9a6f", dedicated: "#d9822b" };
  const UNKNOWN_GRID_COLOUR = "#9ca3af";

  // What stored values (grid types, building uses, centre levels…) are called: the
  // service's one vocabulary (GET /api/v1/vocabulary, served to the page as one of its
  // assets), read once at start. Until it arrives, or for a value it does not know, the
  // value itself is shown.
  const VOCABULARY_URL = new URL("static/vocabulary.json", document.baseURI);
  const vocabulary = {};

  async function loadVocabulary() {
    const body = await getJSON(VOCABULARY_URL);
    for (const [name, { terms }] of Object.entries(body)) {
      vocabulary[name] = terms;
    }
  }

  // The Chinese label of `value` in the named vocabulary.
  function label(name, value) {
    const term = (vocabulary[name] || []).find((candidate) => candidate.value === value);
    return term ? term.zh : value;
  }

  // Walking access (/api/v1/access): the service areas of the chosen minutes, and the
  // buildings with households none of them reaches. Off until ticked in the layer control.
  const ACCESS_API = new URL("api/v1/access/", document.baseURI);
  const SERVICE_MINUTES = [5, 10, 15];
  const AREA_COLOUR = "#2563eb";
  const UNCOVERED_COLOUR = "#dc2626";

  const BUILDING_COLOUR = "#6b4f3a";
  const COMMUNITY_COLOUR = "#374151";
  const WATER_COLOUR = "#5b9bd5";

  // One colour function for the grid style and the legend, so they cannot disagree.
  function gridColour(gridType) {
    return GRID_COLOURS[gridType] || UNKNOWN_GRID_COLOUR;
  }

  function gridTypeLabel(properties) {
    const type = String(label("grid_types", properties.grid_type));
    if (properties.grid_type === "dedicated" && properties.dedicated_kind) {
      return `${type}（${label("dedicated_kinds", properties.dedicated_kind)}）`;
    }
    return type;
  }

  function teamLabel(properties) {
    const { leaders, instructors, members } = properties;
    return `网格长 ${leaders} · 指导员 ${instructors} · 网格员 ${members}`;
  }

  // ---- DOM helpers: text always goes in through textContent ----

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function definitionList(rows) {
    const list = element("dl");
    for (const [term, value] of rows) {
      list.append(element("dt", null, term), element("dd", null, value ?? "—"));
    }
    return list;
  }

  function gridDetails(properties) {
    return [
      ["网格编码", properties.grid_code],
      ["类型", gridTypeLabel(properties)],
      ["社区编码", properties.community_code],
      ["队伍", teamLabel(properties)],
    ];
  }

  function gridPopup(properties) {
    const popup = element("div", "onemap-popup");
    popup.append(element("h3", null, properties.name), definitionList(gridDetails(properties)));
    return popup;
  }

  function buildingPopup(properties) {
    const popup = element("div", "onemap-popup");
    popup.append(
      element("h3", null, properties.name || "楼栋"),
      definitionList([
        ["楼栋编码", properties.building_code],
        ["用途", label("building_uses", properties.building_use)],
        ["层数", properties.floors],
        ["单元", properties.units],
        ["户数", properties.households],
        ["人口", properties.population],
      ]),
    );
    return popup;
  }

  // ---- status line ----

  const statusLine = document.getElementById("onemap-status");

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("is-error", Boolean(isError));
  }

  // ---- the OGC API ----

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/geo+json, application/json" } });
    if (!response.ok) {
      throw new Error(`${url.pathname}: HTTP ${response.status}`);
    }
    return response.json();
  }

  // A collection's features, following rel=next links until `cap` features are read.
  // `isStale` lets the caller stop paging (and drop the result) once the view has moved on;
  // stale requests are left to finish rather than aborted, as they are small and bounded.
  async function fetchFeatures(collection, { bbox, limit, cap, isStale }) {
    let url = new URL(`collections/${collection}/items`, API);
    url.searchParams.set("limit", String(limit));
    if (bbox) url.searchParams.set("bbox", bbox.join(","));
    const features = [];
    let numberMatched = null;
    while (url && features.length < cap) {
      const page = await getJSON(url);
      if (isStale && isStale()) return null;
      if (numberMatched === null && Number.isInteger(page.numberMatched)) {
        numberMatched = page.numberMatched;
      }
      features.push(...page.features);
      const next = (page.links || []).find((link) => link.rel === "next");
      url = next ? new URL(next.href, url) : null;
    }
    return {
      features: features.slice(0, cap),
      numberMatched,
      truncated: url !== null || features.length > cap,
    };
  }

  function bboxOf(bounds) {
    // Six decimals of a degree is about 0.1 m: enough, and keeps the URLs short.
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((value) => value.toFixed(6));
  }

  // ---- the map ----

  const map = L.map("map", { minZoom: 9, maxZoom: 19, zoomSnap: 0.25 });
  L.control.scale({ imperial: false }).addTo(map);

  // Own panes keep the stacking fixed: bringing a hovered grid to the front must not lift
  // it over the buildings or the community outlines.
  // Water lies over the grids (which tile the river too) and under the outlines.
  const panes = [["grids", 410], ["water", 415], ["communities", 420], ["buildings", 430]];
  for (const [pane, zIndex] of panes) {
    map.createPane(pane).style.zIndex = String(zIndex);
  }

  const gridHighlight = { weight: 3, color: "#1f2933", fillOpacity: 0.75 };
  // The grid last clicked keeps a red outline while its popup is open, so after the zoom
  // it is still plain which grid the popup is about.
  let selectedGrid = null;

  function gridStyle(feature) {
    const selected = selectedGrid !== null && selectedGrid.feature === feature;
    return {
      color: selected ? "#b71c1c" : "#ffffff",
      weight: selected ? 3 : 1.5,
      fillColor: gridColour(feature.properties.grid_type),
      fillOpacity: 0.55,
    };
  }

  function selectGrid(layer) {
    const previous = selectedGrid;
    selectedGrid = layer;
    if (previous) grids.resetStyle(previous);
    if (layer) grids.resetStyle(layer);
  }

  const grids = L.geoJSON(null, {
    pane: "grids",
    className: "onemap-grid",
    style: gridStyle,
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => gridPopup(feature.properties), { maxWidth: 320 });
      layer.on({
        // The path element exists only once on the map; the code lets tests and users'
        // tooling find a grid in the DOM.
        add: () => layer.getElement().setAttribute("data-grid-code", feature.properties.grid_code),
        mouseover: () => {
          layer.setStyle(gridHighlight);
          layer.bringToFront();
          info.show(feature.properties);
        },
        mouseout: () => {
          grids.resetStyle(layer);
          info.show(null);
        },
        click: () => {
          selectGrid(layer);
          map.fitBounds(layer.getBounds(), { padding: [40, 40] });
        },
        popupclose: () => {
          if (selectedGrid === layer) selectGrid(null);
        },
      });
    },
  });

  const communities = L.geoJSON(null, {
    pane: "communities",
    className: "onemap-community",
    // Outlines only, and not interactive, so the grids underneath get the mouse.
    interactive: false,
    // Solid: neighbours draw their shared border twice, and two dash patterns out of step
    // would read as a solid line anyway.
    style: () => ({ color: COMMUNITY_COLOUR, weight: 2, fill: false }),
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(element("span", null, feature.properties.name), {
        permanent: true,
        direction: "center",
        className: "onemap-community-label",
      });
    },
  });

  const water = L.geoJSON(null, {
    pane: "water",
    className: "onemap-water",
    interactive: false,
    // A stroke as well as the fill: at the whole district's zoom a 340 m river is a
    // pixel or two wide.
    style: () => ({ color: WATER_COLOUR, weight: 3, fillColor: WATER_COLOUR, fillOpacity: 0.85 }),
  });

  const buildings = L.geoJSON(null, {
    pane: "buildings",
    className: "onemap-building",
    style: () => ({ color: BUILDING_COLOUR, weight: 1, fillColor: BUILDING_COLOUR, fillOpacity: 0.6 }),
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => buildingPopup(feature.properties), { maxWidth: 320 });
    },
  });

  // ---- info box (hover) and legend ----

  const info = L.control({ position: "topright" });
  info.onAdd = function () {
    this.container = element("div", "onemap-panel onemap-info");
    this.show(null);
    return this.container;
  };
  info.show = function (properties) {
    const box = this.container;
    box.replaceChildren(element("h2", null, "网格信息"));
    if (!properties) {
      box.append(element("div", "onemap-hint", "将鼠标移到网格上查看，点击放大"));
      return;
    }
    box.append(
      element("div", "onemap-info-name", properties.name),
      definitionList(gridDetails(properties)),
    );
  };
  info.addTo(map);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    const box = element("div", "onemap-panel onemap-legend");
    box.append(element("h2", null, "图例"));
    // one row: a swatch of a layer's colour and what it stands for
    const swatchRow = (colour, text) => {
      const swatch = element("span", "onemap-legend-swatch");
      swatch.style.background = colour;
      const row = element("div");
      row.append(swatch, document.createTextNode(text));
      return row;
    };
    for (const { value, zh } of vocabulary.grid_types) {
      box.append(swatchRow(gridColour(value), zh));
    }
    const outline = element("div");
    outline.append(element("span", "onemap-legend-line"), document.createTextNode("社区边界"));
    box.append(
      outline,
      swatchRow(WATER_COLOUR, "水域"),
      swatchRow(BUILDING_COLOUR, `楼栋（放大至 ${BUILDING_MIN_ZOOM} 级显示）`),
      // the access layers, off until ticked
      swatchRow(AREA_COLOUR, "服务圈（步行可达范围）"),
      swatchRow(UNCOVERED_COLOUR, "未覆盖楼栋（服务圈外的住户）"),
    );
    return box;
  };

  // ---- walking access: service areas and uncovered buildings ----

  let accessMinutes = 15;

  const serviceAreas = L.geoJSON(null, {
    className: "onemap-service-area",
    style: () => ({ color: AREA_COLOUR, weight: 1, fillColor: AREA_COLOUR, fillOpacity: 0.08 }),
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => areaPopup(feature.properties), { maxWidth: 320 });
    },
  });

  const uncovered = L.geoJSON(null, {
    className: "onemap-uncovered",
    // a 2-pixel outline keeps a building findable before its footprint is visible
    style: () => ({ color: UNCOVERED_COLOUR, weight: 2, fillColor: UNCOVERED_COLOUR, fillOpacity: 0.7 }),
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => uncoveredPopup(feature.properties), { maxWidth: 320 });
    },
  });

  function areaPopup(p) {
    const box = element("div", "onemap-popup");
    box.append(element("h3", null, p.name));
    box.append(
      definitionList([
        ["级别", label("centre_levels", p.level)],
        ["步行", `${p.minutes} 分钟（${Math.round(p.distance_m)} 米）`],
        ["方法", label("service_area_methods", p.method)],
        ["覆盖户数", p.households],
        ["覆盖人口", p.population],
      ]),
    );
    return box;
  }

  function uncoveredPopup(p) {
    const box = element("div", "onemap-popup");
    box.append(element("h3", null, p.name || p.building_code));
    box.append(
      definitionList([
        ["楼栋编码", p.building_code],
        ["户数", p.households],
        ["人口", p.population],
        ["最近服务中心", p.nearest_center_m === null ? "—" : `${Math.round(p.nearest_center_m)} 米（直线）`],
      ]),
    );
    return box;
  }

  const accessRequests = new Map();
  // What each access layer holds: the minutes and the (padded) view it was loaded for. A
  // city has thousands of areas, so a layer holds those reaching into the view and
  // reloads only when the view leaves what it holds or the minutes change.
  const accessLoaded = new Map();

  async function loadAccess(layer, path, { force = false } = {}) {
    if (!map.hasLayer(layer)) return;
    const minutes = accessMinutes;
    const held = accessLoaded.get(layer);
    if (!force && held && held.minutes === minutes && held.bounds.contains(map.getBounds())) {
      return;
    }
    const request = (accessRequests.get(layer) || 0) + 1;
    accessRequests.set(layer, request);
    const bounds = map.getBounds().pad(0.5);
    const bbox = bboxOf(bounds);
    try {
      const url = new URL(path, ACCESS_API);
      url.searchParams.set("minutes", String(minutes));
      url.searchParams.set("bbox", bbox.join(","));
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (accessRequests.get(layer) !== request) return; // a newer view or choice is on its way
      layer.clearLayers();
      layer.addData(body.features);
      accessLoaded.set(layer, { minutes, bounds });
      const drawn = body.features.length;
      map.fire("accessload", { layer: path, minutes, bbox: bbox.join(","), drawn });
    } catch (error) {
      reportError("服务圈加载失败", error);
    }
  }

  const loadAreas = (options) => loadAccess(serviceAreas, "areas", options);
  const loadUncovered = (options) => loadAccess(uncovered, "uncovered", options);
  serviceAreas.on("add", () => loadAreas({ force: true }));
  uncovered.on("add", () => loadUncovered({ force: true }));
  map.on("moveend", () => {
    loadAreas();
    loadUncovered();
  });

  const minutesControl = L.control({ position: "topleft" });
  minutesControl.onAdd = function () {
    const box = element("div", "onemap-panel onemap-minutes");
    const label = element("label", null, "服务圈 ");
    const select = element("select");
    select.id = "onemap-minutes";
    for (const minutes of SERVICE_MINUTES) {
      const option = element("option", null, `${minutes} 分钟`);
      option.value = String(minutes);
      option.selected = minutes === accessMinutes;
      select.append(option);
    }
    select.addEventListener("change", () => {
      accessMinutes = Number(select.value);
      loadAreas();
      loadUncovered();
    });
    label.append(select);
    box.append(label);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  minutesControl.addTo(map);

  grids.addTo(map);
  water.addTo(map);
  communities.addTo(map);
  buildings.addTo(map);
  L.control
    .layers(
      null,
      {
        网格: grids,
        水域: water,
        楼栋: buildings,
        社区: communities,
        服务圈: serviceAreas,
        未覆盖楼栋: uncovered,
      },
      { collapsed: false },
    )
    .addTo(map);

  // ---- buildings for the current view ----

  let buildingRequest = 0;
  // The bbox of the buildings shown or on their way: the layer's "add" and the map's
  // "moveend" both fire on the first fit, and one request is enough.
  let buildingView = null;
  let buildingNote = "";

  async function refreshBuildings() {
    if (!map.hasLayer(buildings)) return;
    if (map.getZoom() < BUILDING_MIN_ZOOM) {
      buildingRequest += 1;
      buildingView = null;
      buildings.clearLayers();
      buildingNote = `放大至 ${BUILDING_MIN_ZOOM} 级显示楼栋`;
      showCounts();
      return;
    }
    // A margin around the view, so a small pan does not show empty edges.
    const bbox = bboxOf(map.getBounds().pad(0.2));
    if (bbox.join() === buildingView) return;
    buildingView = bbox.join();
    const request = ++buildingRequest;
    try {
      const result = await fetchFeatures("buildings", {
        bbox,
        limit: BUILDING_PAGE,
        cap: BUILDING_CAP,
        isStale: () => request !== buildingRequest,
      });
      if (result === null) return;
      buildings.clearLayers();
      buildings.addData(result.features);
      buildingNote = result.truncated
        ? `楼栋 ${result.features.length} / ${result.numberMatched ?? "?"} 栋（已达上限，请放大）`
        : `楼栋 ${result.features.length} 栋`;
      showCounts();
      // Only the current view's load gets here (stale ones return above), so a listener
      // knows the buildings drawn are the ones it moved the map to.
      map.fire("buildingsload", {
        bbox,
        drawn: result.features.length,
        numberMatched: result.numberMatched,
        truncated: result.truncated,
      });
    } catch (error) {
      if (request === buildingRequest) buildingView = null; // let the next move retry
      reportError("楼栋加载失败", error);
    }
  }

  function toggleCommunityLabels() {
    const hide = map.getZoom() < COMMUNITY_LABEL_MIN_ZOOM;
    map.getContainer().classList.toggle("onemap-hide-labels", hide);
  }
  map.on("zoomend", toggleCommunityLabels);

  map.on("moveend", refreshBuildings);
  buildings.on("add", refreshBuildings);
  // Unticked in the layer control: let any request in flight fall stale.
  buildings.on("remove", () => {
    buildingRequest += 1;
    buildingView = null;
  });

  // ---- first load ----

  let districtNote = "";

  function showCounts() {
    setStatus([districtNote, buildingNote].filter(Boolean).join(" · "));
  }

  function reportError(what, error) {
    setStatus(`${what}：${error.message}`, true);
    console.error(what, error);
  }

  async function loadDistrict() {
    const options = { limit: DISTRICT_PAGE, cap: DISTRICT_CAP };
    const [gridResult, communityResult, waterResult] = await Promise.all([
      fetchFeatures("grids", options),
      fetchFeatures("communities", options),
      fetchFeatures("water_areas", options),
    ]);
    grids.addData(gridResult.features);
    water.addData(waterResult.features);
    communities.addData(communityResult.features);
    const extent = grids.getLayers().length ? grids.getBounds() : communities.getBounds();
    if (extent.isValid()) {
      map.fitBounds(extent, { padding: [10, 10] });
    } else {
      map.fitWorld();
    }
    districtNote = `网格 ${gridResult.features.length} 个 · 社区 ${communityResult.features.length} 个`;
    if (gridResult.truncated) districtNote += "（网格过多，仅显示部分）";
    showCounts();
    return {
      grids: gridResult.features.length,
      gridsMatched: gridResult.numberMatched,
      communities: communityResult.features.length,
      water: waterResult.features.length,
    };
  }

  // The legend lists the grid types by their labels, so it waits for the vocabulary.
  const labelled = loadVocabulary().then(
    () => legend.addTo(map),
    (error) => {
      reportError("词汇加载失败", error);
      throw error;
    },
  );
  const drawn = loadDistrict().catch((error) => {
    reportError("网格加载失败", error);
    throw error;
  });
  const ready = Promise.all([labelled, drawn]).then(([, counts]) => counts);
  // Reported above already; without a handler the browser would log it a second time as
  // an uncaught rejection when no test is awaiting `ready`.
  ready.catch(() => {});

  // The one hook for tests and the browser console; `ready` resolves with feature counts
  // once the grids and communities are drawn and the map is fitted to them. The map also
  // fires "buildingsload" ({bbox, drawn, numberMatched, truncated}) when the buildings
  // for a new view are drawn.
  // "accessload" ({layer: "areas" | "uncovered", minutes, bbox, drawn}) when a walking-access
  // layer is drawn.
  window.onemap = {
    map,
    layers: { grids, water, buildings, communities, serviceAreas, uncovered },
    ready,
  };
})();
