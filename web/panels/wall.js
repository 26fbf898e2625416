// The command centre's wall screen (大屏): the map over the whole wall, the headline
// figures above it and the live feed of events beside it, in a dark theme whose type
// grows with the screen (map.css, `.onemap-wall`: 1920×1080 and 3840×2160 alike). Opened
// by its button in the header, or straight away by `?wall=1` or `#wall` in the address,
// so the wall's browser starts in it.
//
// Every figure is an API's answer, never worked out here: events open and overdue now are
// the events API's counts (numberMatched, the queue's own query); 结案率 and 按期结案率 are
// GET /api/v1/indicators/events's totals for the page's period (web/panels/period.js);
// the 15-minute coverage and, for a signed-in analyst, the patrol coverage are the
// district figures (`total`) of GET /api/v1/indicators/areas, as the choropleth shows them.
// Each change in the live feed asks for them again.
//
// The feed shows the latest transition of each event, newest (by history id) first. On
// entering it starts with GET /api/v1/events/stream/latest, what the stream said last, so
// the wall is never blank between two transitions; a live one it already holds (the
// stream and that answer can cross) is recognised by its history id and shown once.
import { pageTitle } from "../core/area.js";
import { element } from "../core/dom.js";
import { API, getJSON, isAbort } from "../core/fetch.js";
import { currentLanguage, onLanguageChange, term, word } from "../core/i18n.js";
import { onStreamState, onTransition } from "../core/stream.js";
import { OPEN_STAGES } from "./eventFilters.js";
import { ANALYST_ROLES, mayRead, signedIn } from "../core/session.js";
import { onPeriodChange, periodPicker, periodRange, periodText, withPeriod } from "./period.js";
import { formatValue } from "./place.js";

// as many as can be read across the room and fit the wall's height; the newest on top
const FEED_SHOWN = 10;
// transitions asked for on entering: an intake writes several at once (report, file,
// dispatch), so a few per event shown leave the feed full after one row per event
const FEED_BACKLOG = FEED_SHOWN * 4;
const LIVE_DEBOUNCE_MS = 250;
// the rates drift as deadlines pass without any transition: asked again now and then
const REFRESH_MS = 60_000;
// The map's marks, labels and legend are drawn in pixels: on a wall wider than this they
// are magnified with it (CSS zoom, as a screen of a higher pixel ratio would), so that a
// 4K wall shows the map as a 1080p one does, only sharper. Nobody points at a wall.
const WALL_WIDTH = 1920;

function scaleMap(map) {
  const zoom = on ? Math.max(1, window.innerWidth / WALL_WIDTH) : 1;
  map.getContainer().style.zoom = zoom === 1 ? "" : String(zoom);
  map.invalidateSize({ animate: false });
}
let on = false;

const TILES = [
  { id: "open_events", title: "wall_open_events" },
  { id: "overdue_events", title: "wall_overdue_events", alarm: true },
  { id: "closure_rate", title: "indicator_closure_rate", rate: true },
  { id: "on_time_closure_rate", title: "indicator_on_time_closure_rate", rate: true },
  { id: "service_coverage_15", title: "indicator_service_coverage_15" },
  { id: "patrol_coverage", title: "wall_patrol_coverage", patrols: true },
];

function percent(value) {
  return value === null || value === undefined ? word("no_value") : `${(value * 100).toFixed(1)}%`;
}

function clock(instant) {
  return new Date(instant).toLocaleTimeString(currentLanguage() === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai",
    hour12: false,
  });
}

// a feed row's time: the clock for today's, the date too for older ones (the backlog)
function feedTime(instant) {
  const locale = currentLanguage() === "zh" ? "zh-CN" : "en-GB";
  const day = (when) => when.toLocaleDateString(locale, { timeZone: "Asia/Shanghai" });
  const at = new Date(instant);
  if (day(at) === day(new Date())) return clock(instant);
  return at.toLocaleString(locale, {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

function eventCount(overdue) {
  const url = new URL("events", API);
  url.searchParams.set("status", OPEN_STAGES.join(","));
  if (overdue) url.searchParams.set("overdue", "true");
  url.searchParams.set("limit", "1");
  return url;
}

function areaTotal(indicator, period) {
  const url = new URL("indicators/areas", API);
  url.searchParams.set("level", "subdistrict");
  url.searchParams.set("indicator", indicator);
  return period ? withPeriod(url) : url;
}

export function wallScreen(map) {
  const bar = element("section", "onemap-wall-bar");
  bar.id = "onemap-wall";
  const feedBox = element("aside", "onemap-wall-feed");
  feedBox.id = "onemap-wall-feed";
  let period = null; // the picker, made on entering (the vocabulary is loaded by then)
  const toggle = element("button", "onemap-wall-toggle");
  toggle.type = "button";
  toggle.id = "onemap-wall-toggle";
  toggle.addEventListener("click", () => (on ? leave() : enter()));

  let shown = null; // {figures, units, at}
  let failure = null;
  let controller = null;
  let loaded = Promise.resolve(null);
  let streamState = "connecting";
  let pending = null;
  let timer = null;
  let feed = []; // the latest transition of each event, newest first
  let feedFailure = null; // why the latest transitions could not be had
  let backlogController = null;
  let filled = Promise.resolve(null);

  // Takes transitions into the feed: one row per event, its latest transition; a
  // transition the feed already has (or an older one of the event) changes nothing.
  // Whether the feed changed.
  function take(transitions) {
    const byEvent = new Map(feed.map((t) => [t.event_id, t]));
    let changed = false;
    for (const transition of transitions) {
      const held = byEvent.get(transition.event_id);
      if (held && held.history_id >= transition.history_id) continue;
      byEvent.set(transition.event_id, transition);
      changed = true;
    }
    if (!changed) return false;
    feed = [...byEvent.values()]
      .sort((a, b) => b.history_id - a.history_id)
      .slice(0, FEED_SHOWN);
    return true;
  }

  // the latest transitions, for a wall that opens between two of them
  async function fill() {
    backlogController?.abort();
    backlogController = new AbortController();
    const { signal } = backlogController;
    const url = new URL("events/stream/latest", API);
    url.searchParams.set("limit", String(FEED_BACKLOG));
    try {
      const answer = await getJSON(url, { signal });
      if (signal.aborted) return null;
      if (take(answer.transitions) && on) renderFeed();
      return feed.map((t) => t.history_id);
    } catch (error) {
      if (isAbort(error) || signal.aborted) return null;
      // the live feed goes on without the backlog; the wall says what went wrong
      feedFailure = error;
      if (on) renderFeed();
      return { error: error.message };
    }
  }

  async function load() {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const loop = withPeriod(new URL("indicators/events", API));
    loop.searchParams.set("group_by", "month");
    // the patrol figure is the analysts' own: asked for only when one is signed in, so an
    // anonymous wall makes no refused request
    const person = await signedIn;
    const patrols = mayRead(person, ANALYST_ROLES)
      ? getJSON(areaTotal("patrol_coverage", true), { signal }).catch((error) => {
        if (isAbort(error)) throw error;
        return null; // not an analyst, or the session ended: no patrol figure
      })
      : Promise.resolve(null);
    try {
      const [open, overdue, events, coverage, patrol] = await Promise.all([
        getJSON(eventCount(false), { signal }),
        getJSON(eventCount(true), { signal }),
        getJSON(loop, { signal }),
        getJSON(areaTotal("service_coverage_15", false), { signal }),
        patrols,
      ]);
      const figures = {
        open_events: open.numberMatched,
        overdue_events: overdue.numberMatched,
        closure_rate: events.total.closure_rate,
        on_time_closure_rate: events.total.on_time_closure_rate,
        service_coverage_15: coverage.total.value,
      };
      const units = { service_coverage_15: coverage.indicator.unit };
      if (patrol) {
        figures.patrol_coverage = patrol.total.value;
        units.patrol_coverage = patrol.indicator.unit;
      }
      failure = null;
      shown = { figures, units, at: new Date() };
      render();
      return { ...figures, period: periodRange() };
    } catch (error) {
      if (isAbort(error) || signal.aborted) return null;
      failure = error;
      render();
      return { error: error.message };
    }
  }

  function refresh() {
    loaded = load();
    return loaded;
  }

  function tile({ id, title, rate, alarm }) {
    const box = element("li", "onemap-wall-tile");
    box.dataset.figure = id;
    const value = shown.figures[id];
    const text = rate ? percent(value) : id in shown.units ? formatValue(value, shown.units[id]) : String(value);
    const figure = element("span", "onemap-wall-figure", text);
    figure.dataset.value = String(value);
    if (alarm && value > 0) box.classList.add("is-alarm");
    box.append(element("span", "onemap-wall-label", word(title)), figure);
    return box;
  }

  function renderBar() {
    const head = element("div", "onemap-wall-head");
    const exit = element("button", "onemap-wall-exit", word("wall_exit"));
    exit.type = "button";
    exit.id = "onemap-wall-exit";
    exit.addEventListener("click", leave);
    const when = element("span", "onemap-wall-period", `${word("period_label")} ${periodText()}`);
    head.append(element("h1", null, pageTitle()), when, period, exit);
    bar.replaceChildren(head);
    if (failure) {
      bar.append(element("p", "onemap-bad", failure.message));
      return;
    }
    if (!shown) {
      bar.append(element("p", "onemap-hint", word("loading")));
      return;
    }
    const tiles = element("ol", "onemap-wall-tiles");
    tiles.append(...TILES.filter((t) => t.id in shown.figures).map(tile));
    bar.append(tiles);
  }

  function feedItem(transition) {
    const row = element("li", "onemap-wall-feed-item");
    row.dataset.eventId = String(transition.event_id);
    row.dataset.historyId = String(transition.history_id);
    row.dataset.trackingNumber = transition.tracking_number;
    const head = element("div", "onemap-wall-feed-head");
    head.append(
      element("span", "onemap-wall-feed-time", feedTime(transition.at)),
      element("span", "onemap-wall-feed-stage", term("event_statuses", transition.to_status)),
    );
    row.append(
      head,
      element("div", "onemap-wall-feed-category", term("event_categories", transition.category_code)),
      element("div", "onemap-wall-feed-meta", `${transition.tracking_number} · ${term("event_actions", transition.action)}`),
    );
    return row;
  }

  function renderFeed() {
    const heading = element("h2", null, word("wall_live_feed"));
    const live = element("span", `onemap-live is-${streamState}`, word(streamState === "live" ? "live_on" : "live_reconnecting"));
    heading.append(" ", live);
    const list = element("ol", "onemap-wall-feed-list");
    list.append(...feed.map(feedItem));
    feedBox.replaceChildren(heading);
    if (feedFailure) feedBox.append(element("p", "onemap-bad", feedFailure.message));
    feedBox.append(feed.length ? list : element("p", "onemap-hint", word("wall_feed_waiting")));
    if (shown) feedBox.append(element("p", "onemap-wall-updated", word("wall_updated", { time: clock(shown.at) })));
  }

  function render() {
    toggle.textContent = word(on ? "wall_exit" : "wall_mode");
    if (!on) return;
    renderBar();
    renderFeed();
  }

  function enter() {
    on = true;
    period ??= periodPicker("onemap-wall-period");
    document.body.classList.add("onemap-wall");
    document.body.prepend(bar);
    document.body.append(feedBox);
    if (window.location.hash !== "#wall") history.replaceState(null, "", "#wall");
    render();
    scaleMap(map);
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
    feedFailure = null;
    filled = fill();
    return refresh();
  }

  function leave() {
    on = false;
    controller?.abort();
    backlogController?.abort();
    clearInterval(timer);
    document.body.classList.remove("onemap-wall");
    bar.remove();
    feedBox.remove();
    const url = new URL(window.location.href);
    url.hash = "";
    url.searchParams.delete("wall");
    history.replaceState(null, "", url);
    render();
    scaleMap(map);
  }

  onTransition((transition) => {
    const changed = take([transition]);
    if (!on) return;
    // the figures are asked again even for a row the feed had: the answer that brought it
    // may have crossed the change
    if (changed) renderFeed();
    clearTimeout(pending);
    pending = setTimeout(refresh, LIVE_DEBOUNCE_MS);
  });
  onStreamState((state) => {
    streamState = state;
    if (on) renderFeed();
  });
  onPeriodChange(() => {
    if (on) refresh();
  });
  onLanguageChange(render);
  window.addEventListener("resize", () => {
    if (on) scaleMap(map);
  });
  render();

  // `render()` redraws it in the current language; `enter()` resolves with the figures shown ({open_events, …, period}); `loaded` is the
  // latest load's; `filled` the history ids in the feed once the latest transitions are
  // in it; `asked` whether the address asks for the wall.
  return {
    toggle,
    render,
    enter,
    leave,
    get on() {
      return on;
    },
    get loaded() {
      return loaded;
    },
    get filled() {
      return filled;
    },
    asked: window.location.hash === "#wall" || new URLSearchParams(window.location.search).get("wall") === "1",
  };
}
