// The patrol layers' month (巡逻月份): one picker for the patrol tracks, the street patrols
// and the blind spots, a calendar month in China time (the service counts a street's month
// and a blind spot's period in it too). Changing it reloads those three layers and no other.
// Where patrols walked is for the command centre, auditors and planners only: the layers
// carry the collections' readers, and the page offers them to no one else.
import * as L from "leaflet";
import { element } from "../core/dom.js";
import { getFeatures, itemsURL } from "../core/fetch.js";
import { currentLanguage, onLanguageChange, word } from "../core/i18n.js";
import { ANALYST_ROLES } from "../core/session.js";

// the readers of patrol_tracks and street_patrols, and whom the blind spots are answered to
export const PATROL_READERS = ANALYST_ROLES;
const CHINA_TIME = "Asia/Shanghai";
const CHINA_OFFSET = "+08:00";

// "YYYY-MM" of `instant` in China time.
export function monthOf(instant) {
  const parts = new Intl.DateTimeFormat("en", { timeZone: CHINA_TIME, year: "numeric", month: "2-digit" })
    .formatToParts(instant);
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}`;
}

export const patrolMonth = { value: monthOf(new Date()), listeners: new Set() };

export function chooseMonth(month) {
  if (!/^\d{4}-\d{2}$/.test(month) || month === patrolMonth.value) return;
  patrolMonth.value = month;
  for (const refresh of patrolMonth.listeners) refresh();
}

// The first day of `month` and of the month after it ("YYYY-MM-DD").
export function monthBounds(month) {
  const [year, number] = month.split("-").map(Number);
  const next = number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
  return { first: `${month}-01`, next: `${next}-01` };
}

// The month as an OGC API `datetime` interval. The interval is closed at both ends, so it
// ends at the last microsecond of the month: a track begun at midnight on the first of
// the next month belongs to that month alone.
export function monthInterval(month) {
  const { first, next } = monthBounds(month);
  const last = new Date(Date.parse(`${next}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);
  return `${first}T00:00:00${CHINA_OFFSET}/${last}T23:59:59.999999${CHINA_OFFSET}`;
}

// A source for an OGC API collection of the chosen month: `parameters(month)` are the
// items' query parameters that choose it.
export function monthCollection(id, parameters, { limit = 1000, cap = 10000, pad = 0.2, minZoom = 0 } = {}) {
  return {
    minZoom,
    pad,
    key: () => patrolMonth.value,
    watch: (refresh) => patrolMonth.listeners.add(refresh),
    load: ({ bbox }, signal) =>
      getFeatures(itemsURL(id, { limit, bbox, ...parameters(patrolMonth.value) }), { cap, signal }),
  };
}

// An instant as China time in the page's language.
export function chinaTime(value) {
  if (!value) return null;
  return new Date(value).toLocaleString(currentLanguage() === "zh" ? "zh-CN" : "en", {
    timeZone: CHINA_TIME,
    hour12: false,
  });
}

export const patrolMonthControl = L.control({ position: "topleft" });
patrolMonthControl.onAdd = function () {
  const box = element("div", "onemap-panel onemap-patrol-month");
  const caption = element("span");
  const input = element("input");
  input.type = "month";
  input.id = "onemap-patrol-month";
  input.required = true;
  input.value = patrolMonth.value;
  // no month after the current one: nobody has patrolled it yet
  input.max = monthOf(new Date());
  const label = element("label");
  label.append(caption, input);
  box.append(label);
  const render = () => {
    caption.textContent = `${word("patrol_month")} `;
  };
  render();
  onLanguageChange(render);
  input.addEventListener("change", () => chooseMonth(input.value));
  L.DomEvent.disableClickPropagation(box);
  return box;
};
