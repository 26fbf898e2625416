// The events' filters: category (class), source, stage and the period of report. They are
// the events API's own query parameters (GET /api/v1/events): the map asks the API for the
// narrower set, it never hides markers it was sent.
import * as L from "leaflet";
import { element } from "../core/dom.js";
import { onLanguageChange, term, vocabularyValues, word } from "../core/i18n.js";

// The stages still in the loop (gis/events/stages.py OPEN): what a command officer acts on.
export const OPEN_STAGES = ["reported", "filed", "dispatched", "in_progress", "handled"];

// The chosen values; "" is "all". Stage "open" stands for every open stage.
export const filters = { category: "", source: "", stage: "open", from: "", to: "" };
const listeners = new Set();

export function onFiltersChange(listener) {
  listeners.add(listener);
}

// The chosen filters as the events API's query parameters.
export function filterParameters() {
  const parameters = {};
  if (filters.category) parameters.category = filters.category;
  if (filters.source) parameters.source = filters.source;
  if (filters.stage === "open") parameters.status = OPEN_STAGES.join(",");
  else if (filters.stage) parameters.status = filters.stage;
  // dates are China's days, as the API takes a date without an offset; "to" includes its day
  if (filters.from) parameters.reported_after = filters.from;
  if (filters.to) parameters.reported_before = dayAfter(filters.to);
  return parameters;
}

function dayAfter(day) {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

function choice(name, options) {
  const select = element("select");
  select.id = `onemap-event-${name}`;
  select.dataset.filter = name;
  for (const [value, label] of options) {
    const option = element("option", null, label);
    option.value = value;
    option.selected = value === filters[name];
    select.append(option);
  }
  return select;
}

function dateInput(name) {
  const input = element("input");
  input.type = "date";
  input.id = `onemap-event-${name}`;
  input.dataset.filter = name;
  input.value = filters[name];
  return input;
}

function row(label, field) {
  const line = element("label", "onemap-filter-row");
  line.append(element("span", null, word(label)), field);
  return line;
}

export const eventFiltersControl = L.control({ position: "topleft" });
eventFiltersControl.onAdd = function () {
  const box = element("div", "onemap-panel onemap-event-filters");
  const render = () => {
    const any = ["", word("filter_any")];
    // classes only (two digits): a class matches its subclasses in the API
    const classes = vocabularyValues("event_categories").filter((code) => code.length === 2);
    box.replaceChildren(
      element("h2", null, word("event_filters")),
      row("event_category", choice("category", [any, ...classes.map((code) => [code, term("event_categories", code)])])),
      row("event_source", choice("source", [any, ...vocabularyValues("event_sources").map((s) => [s, term("event_sources", s)])])),
      row(
        "event_stage",
        choice("stage", [
          ["open", word("filter_open")],
          any,
          ...vocabularyValues("event_statuses").map((s) => [s, term("event_statuses", s)]),
        ]),
      ),
      row("filter_from", dateInput("from")),
      row("filter_to", dateInput("to")),
    );
  };
  render();
  onLanguageChange(render);
  box.addEventListener("change", (event) => {
    const name = event.target.dataset.filter;
    if (!name) return;
    filters[name] = event.target.value;
    for (const listener of listeners) listener();
  });
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  return box;
};
