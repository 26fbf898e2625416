// The period of the analysis: one for the choropleth, the charts and the wall screen, so
// that they always speak of the same months. A month, a quarter, a year or any run of
// days, sent to the indicators API as its `from` (inclusive) and `to` (exclusive) dates,
// China's; "all time" sends neither and the API takes every event (and, for patrols, its
// own default). The page never cuts the figures itself: the API answers for the period.
import { element } from "../core/dom.js";
import { onLanguageChange, word } from "../core/i18n.js";

export const PERIOD_KINDS = ["all", "month", "quarter", "year", "range"];

// today in China, whatever the browser's zone: the command centre's calendar
function chinaToday() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date());
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: part("year"), month: part("month"), day: part("day") };
}

const pad = (n) => String(n).padStart(2, "0");
const isoDate = (year, month, day) => `${year}-${pad(month)}-${pad(day)}`;

// the day after `date` (YYYY-MM-DD): the API's `to` is exclusive, the picker's inclusive
function dayAfter(date) {
  const [y, m, d] = date.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return isoDate(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

const today = chinaToday();
const state = {
  kind: "all",
  month: `${today.year}-${pad(today.month)}`,
  year: today.year,
  quarter: Math.floor((today.month - 1) / 3) + 1,
  from: "",
  to: "",
};
const listeners = new Set();

// {from, to} as the API takes them (either may be absent), for the period chosen now.
export function periodRange(chosen = state) {
  const { kind } = chosen;
  if (kind === "month" && chosen.month) {
    const [y, m] = chosen.month.split("-").map(Number);
    return { from: isoDate(y, m, 1), to: m === 12 ? isoDate(y + 1, 1, 1) : isoDate(y, m + 1, 1) };
  }
  if (kind === "quarter") {
    const first = (chosen.quarter - 1) * 3 + 1;
    const to = chosen.quarter === 4 ? isoDate(chosen.year + 1, 1, 1) : isoDate(chosen.year, first + 3, 1);
    return { from: isoDate(chosen.year, first, 1), to };
  }
  if (kind === "year") return { from: isoDate(chosen.year, 1, 1), to: isoDate(chosen.year + 1, 1, 1) };
  if (kind === "range") {
    const range = {};
    if (chosen.from) range.from = chosen.from;
    if (chosen.to) range.to = dayAfter(chosen.to);
    return range;
  }
  return {};
}

// Puts the period's `from` and `to` on an indicators API URL.
export function withPeriod(url) {
  for (const [key, value] of Object.entries(periodRange())) url.searchParams.set(key, value);
  return url;
}

// A key for caching answers by period.
export function periodKey() {
  const { from = "", to = "" } = periodRange();
  return `${from}/${to}`;
}

// The period as a line of text: "2026-11", "2026 Q4", "2026", "2026-10-01 – 2026-10-31".
export function periodText() {
  const { kind } = state;
  if (kind === "month") return state.month;
  if (kind === "quarter") return `${state.year} ${word("period_quarter_number", { quarter: state.quarter })}`;
  if (kind === "year") return String(state.year);
  if (kind === "range") return `${state.from || "…"} – ${state.to || "…"}`;
  return word("period_all");
}

export function onPeriodChange(listener) {
  listeners.add(listener);
}

// `setPeriod({kind, month, quarter, year, from, to})`: what the picker does, for tests and
// the console too.
export function setPeriod(choices) {
  Object.assign(state, choices);
  for (const listener of listeners) listener({ ...state });
}

export function currentPeriod() {
  return { ...state, ...periodRange() };
}

function field(label, input) {
  const box = element("label", "onemap-analysis-row onemap-period-row");
  box.append(element("span", null, label), input);
  return box;
}

function menu(options, chosen) {
  const select = element("select");
  for (const [value, text] of options) {
    const option = element("option", null, text);
    option.value = String(value);
    option.selected = String(value) === String(chosen);
    select.append(option);
  }
  return select;
}

// A picker of the shared period; every picker on the page shows the same one. `prefix`
// names its fields' ids (`${prefix}-kind`, `-month`, `-quarter`, `-year`, `-from`, `-to`).
export function periodPicker(prefix) {
  const box = element("div", "onemap-period");
  function render() {
    const kind = menu(PERIOD_KINDS.map((k) => [k, word(`period_${k}`)]), state.kind);
    kind.id = `${prefix}-kind`;
    kind.addEventListener("change", () => setPeriod({ kind: kind.value }));
    box.replaceChildren(field(word("period_label"), kind));
    if (state.kind === "month") {
      const month = element("input");
      month.type = "month";
      month.id = `${prefix}-month`;
      month.value = state.month;
      month.addEventListener("change", () => month.value && setPeriod({ month: month.value }));
      box.append(field(word("period_month"), month));
    }
    if (state.kind === "quarter" || state.kind === "year") {
      const year = element("input");
      year.type = "number";
      year.id = `${prefix}-year`;
      year.min = "2000";
      year.max = "2100";
      year.value = String(state.year);
      year.addEventListener("change", () => year.value && setPeriod({ year: Number(year.value) }));
      box.append(field(word("period_year"), year));
    }
    if (state.kind === "quarter") {
      const quarters = [1, 2, 3, 4].map((q) => [q, word("period_quarter_number", { quarter: q })]);
      const quarter = menu(quarters, state.quarter);
      quarter.id = `${prefix}-quarter`;
      quarter.addEventListener("change", () => setPeriod({ quarter: Number(quarter.value) }));
      box.append(field(word("period_quarter"), quarter));
    }
    if (state.kind === "range") {
      for (const end of ["from", "to"]) {
        const day = element("input");
        day.type = "date";
        day.id = `${prefix}-${end}`;
        day.value = state[end];
        day.addEventListener("change", () => setPeriod({ [end]: day.value }));
        box.append(field(word(`period_${end}`), day));
      }
    }
  }
  render();
  onPeriodChange(render);
  onLanguageChange(render);
  return box;
}
