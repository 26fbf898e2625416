// Event statistics as charts (ECharts from npm, served by the app at /vendor/echarts and
// loaded only when the charts are opened): events reported, closed and overdue by month,
// and events reported by category and by source — each from
// GET /api/v1/indicators/events?group_by=…, the closed loop's own indicators, for the
// page's period (web/panels/period.js). The control is the title and show/hide (main.js
// puts it in the page's header); the charts themselves (`body`) go into the side drawer.
import * as L from "leaflet";
import { element } from "../core/dom.js";
import { API, getJSON } from "../core/fetch.js";
import { onLanguageChange, term, word } from "../core/i18n.js";
import { onPeriodChange, periodKey, withPeriod } from "./period.js";

export const CHARTS = [
  { group: "month", title: "chart_by_month" },
  { group: "category", title: "chart_by_category" },
  { group: "source", title: "chart_by_source" },
];
const SERIES_COLOURS = { reported: "#1d4ed8", closed: "#15803d", overdue: "#b91c1c" };

function keyLabel(group, key) {
  if (group === "category") return term("event_categories", key);
  if (group === "source") return term("event_sources", key);
  return key;
}

// The chart's option from the API's groups: one series a figure.
export function chartOption(group, answer) {
  const keys = answer.groups.map((row) => row.key);
  const figures = group === "month" ? ["reported", "closed", "overdue"] : ["reported"];
  const series = figures.map((figure) => ({
    id: figure,
    name: word(`events_${figure}`),
    type: group === "month" ? "line" : "bar",
    data: answer.groups.map((row) => row[figure]),
    itemStyle: { color: SERIES_COLOURS[figure] },
    label: group === "month" ? undefined : { show: true, position: "right" },
  }));
  const labels = keys.map((key) => keyLabel(group, key));
  // every category and source named, cut short rather than skipped
  const categoryAxis = {
    type: "category",
    data: labels,
    axisLabel: group === "month" ? { fontSize: 11 } : { fontSize: 11, interval: 0, width: 110, overflow: "truncate" },
  };
  const valueAxis = { type: "value", splitNumber: 4, axisLabel: { fontSize: 11 } };
  return {
    animation: false,
    grid: { left: group === "month" ? 40 : 120, right: 40, top: 28, bottom: 24 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    // months run left to right; categories and sources read best as horizontal bars
    xAxis: group === "month" ? categoryAxis : valueAxis,
    yAxis: group === "month" ? valueAxis : { ...categoryAxis, inverse: true },
    series,
  };
}

export function chartsPanel() {
  const control = L.control({ position: "bottomright" });
  control.body = element("div", "onemap-panel onemap-charts-body");
  const answers = new Map();
  let open = false;
  let group = "month";
  let echarts = null;
  let chart = null;
  let drawn = Promise.resolve(null);

  async function draw() {
    // a turn first, for the side drawer to open on the charts it was given (main.js): a
    // chart made in a hidden box has no size
    await Promise.resolve();
    if (!echarts) echarts = await import("echarts");
    const key = `${group}|${periodKey()}`;
    if (!answers.has(key)) {
      const url = withPeriod(new URL("indicators/events", API));
      url.searchParams.set("group_by", group);
      answers.set(key, await getJSON(url));
    }
    if (!open) return null;
    const host = control.body.querySelector(".onemap-chart");
    if (!chart || chart.getDom() !== host) {
      chart?.dispose();
      chart = echarts.init(host, null, { renderer: "svg" });
    }
    const option = chartOption(group, answers.get(key));
    chart.setOption(option, true);
    return { group, option };
  }

  function redraw() {
    drawn = draw().catch((error) => {
      control.body.querySelector(".onemap-chart")?.replaceChildren(element("div", "onemap-bad", error.message));
      return { group, error: error.message };
    });
    return drawn;
  }

  control.onAdd = function () {
    this.box = element("div", "onemap-panel onemap-charts");
    L.DomEvent.disableClickPropagation(this.box);
    L.DomEvent.disableScrollPropagation(this.box);
    this.render();
    onLanguageChange(() => {
      this.render();
      if (open) redraw();
    });
    onPeriodChange(() => {
      if (open) redraw();
    });
    L.DomEvent.disableClickPropagation(control.body);
    L.DomEvent.disableScrollPropagation(control.body);
    return this.box;
  };
  control.render = function () {
    const header = element("div", "onemap-charts-header");
    const toggle = element("button", "onemap-link", word(open ? "hide" : "show"));
    toggle.type = "button";
    toggle.id = "onemap-charts-toggle";
    toggle.addEventListener("click", () => control.show(!open));
    header.append(element("h2", null, word("charts")), toggle);
    chart?.dispose();
    chart = null;
    this.box.replaceChildren(header);
    control.body.replaceChildren();
    if (!open) return;
    const tabs = element("div", "onemap-chart-tabs");
    for (const { group: each, title } of CHARTS) {
      const tab = element("button", each === group ? "onemap-tab is-active" : "onemap-tab", word(title));
      tab.type = "button";
      tab.dataset.group = each;
      tab.addEventListener("click", () => control.choose(each));
      tabs.append(tab);
    }
    control.body.append(element("h2", null, word("charts")), tabs, element("div", "onemap-chart"));
  };
  // `show(open)` opens or closes the charts; `choose(group)` draws month, category or
  // source; both resolve with what was drawn ({group, option}).
  control.show = (next = true) => {
    open = next;
    control.render();
    return open ? redraw() : Promise.resolve(null);
  };
  control.choose = (next) => {
    group = next;
    control.render();
    return redraw();
  };
  Object.defineProperty(control, "drawn", { get: () => drawn });
  return control;
}
