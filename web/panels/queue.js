// The event queue (待办事件): the open events, overdue ones first, newest report first
// within each; the API's own order and counts (GET /api/v1/events). It follows the live
// feed: a new event, or one that moved on, is in it (or gone from it) within a moment.
// Clicking one opens its panel.
import * as L from "leaflet";
import { API, getJSON, isAbort } from "../core/fetch.js";
import { element } from "../core/dom.js";
import { onLanguageChange, term, word } from "../core/i18n.js";
import { onStreamState, onTransition } from "../core/stream.js";
import { OPEN_STAGES } from "./eventFilters.js";
import { openEvent } from "./event.js";

// as many as a glance takes in; the counts say how many more there are
const SHOWN = 100;
const LIVE_DEBOUNCE_MS = 250;

let box = null;
let list = null;
let shown = null; // {overdue, onTime}: the last pages read
let streamState = "connecting";
let controller = null;

function page(overdue, limit) {
  const url = new URL("events", API);
  url.searchParams.set("status", OPEN_STAGES.join(","));
  url.searchParams.set("overdue", String(overdue));
  url.searchParams.set("limit", String(limit));
  return url;
}

export async function refreshQueue() {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  try {
    const overdue = await getJSON(page(true, SHOWN), { signal });
    const rest = SHOWN - overdue.features.length;
    const onTime = await getJSON(page(false, Math.max(1, rest)), { signal });
    if (rest <= 0) onTime.features = [];
    shown = { overdue, onTime };
    render();
  } catch (error) {
    if (!isAbort(error)) console.error("the event queue failed to load", error);
  }
}

function formatTime(value) {
  if (!value) return "—";
  return new Date(value).toLocaleString(document.documentElement.lang, {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

function item(feature) {
  const p = feature.properties;
  const row = element("li", `onemap-queue-item${p.overdue ? " is-overdue" : ""}`);
  row.dataset.eventId = String(feature.id);
  row.tabIndex = 0;
  const stage = element("span", "onemap-queue-stage", term("event_statuses", p.status));
  stage.style.borderColor = stageColours[p.status] || "#6b7280";
  const head = element("div", "onemap-queue-head");
  head.append(stage, element("span", "onemap-queue-category", term("event_categories", p.category_code)));
  if (p.overdue) head.append(element("span", "onemap-queue-flag", word("event_overdue")));
  const meta = element("div", "onemap-queue-meta", `${p.tracking_number} · ${formatTime(p.reported_at)}`);
  row.append(head, meta);
  const open = () => openEvent(feature.id, { fly: true });
  row.addEventListener("click", open);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter") open();
  });
  return row;
}

// the stage colours are the map's (web/layers/events.js), handed over to avoid a cycle
let stageColours = {};
export function useStageColours(colours) {
  stageColours = colours;
}

function render() {
  if (!box) return;
  const heading = element("h2", null, word("event_queue"));
  const live = element("span", `onemap-live is-${streamState}`, word(streamState === "live" ? "live_on" : "live_reconnecting"));
  heading.append(" ", live);
  box.replaceChildren(heading);
  if (!shown) {
    box.append(element("div", "onemap-hint", word("loading")));
    return;
  }
  const total = shown.overdue.numberMatched + shown.onTime.numberMatched;
  const counts = element("div", "onemap-queue-counts", word("queue_counts", { total, overdue: shown.overdue.numberMatched }));
  box.append(counts);
  const features = [...shown.overdue.features, ...shown.onTime.features];
  if (features.length === 0) {
    box.append(element("div", "onemap-hint", word("queue_empty")));
    return;
  }
  list = element("ol", "onemap-queue-list");
  list.append(...features.map(item));
  box.append(list);
  if (features.length < total) box.append(element("div", "onemap-hint", word("queue_shown", { shown: features.length })));
}

let pending = null;
// In the left column's flex (map.css), last: it shares the height left with the analysis.
export const queueControl = L.control({ position: "topleft" });
queueControl.onAdd = function () {
  box = element("div", "onemap-panel onemap-queue");
  box.id = "onemap-queue";
  render();
  onLanguageChange(render);
  onStreamState((state) => {
    streamState = state;
    render();
  });
  onTransition(() => {
    clearTimeout(pending);
    pending = setTimeout(refreshQueue, LIVE_DEBOUNCE_MS);
  });
  refreshQueue();
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  return box;
};
