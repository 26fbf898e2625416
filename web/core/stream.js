// The live feed of events (GET /api/v1/events/stream, server-sent events): every
// transition as it happens. The browser's EventSource reconnects by itself with its
// Last-Event-ID, so nothing is missed; when the server refuses (503 while its own feed
// reconnects) the EventSource gives up, and this opens a new one after a pause.
import { API } from "./fetch.js";

const RETRY_MS = 2000;
// what the feed sends, one SSE event type per action (gis/events/stages.py and the loop's own)
const ACTIONS = [
  "report", "file", "dispatch", "accept", "handle", "close", "evaluate", "rework",
  "settle", "return", "reject", "not_responsible", "merge", "escalate",
];

const listeners = new Set();
const stateListeners = new Set();
let source = null;
let state = "connecting";

// `listener(transition)` for every transition: {history_id, event_id, tracking_number,
// action, from_status, to_status, …} (the public summary, docs/events.md).
export function onTransition(listener) {
  listeners.add(listener);
  if (!source) open();
}

// `listener(state)`: "live" or "reconnecting".
export function onStreamState(listener) {
  stateListeners.add(listener);
  listener(state);
}

function setState(next) {
  if (next === state) return;
  state = next;
  for (const listener of stateListeners) listener(next);
}

function deliver(message) {
  let transition;
  try {
    transition = JSON.parse(message.data);
  } catch {
    return; // not a summary: nothing to show
  }
  for (const listener of listeners) listener(transition);
}

function open() {
  source = new EventSource(new URL("events/stream", API));
  source.addEventListener("open", () => setState("live"));
  for (const action of ACTIONS) source.addEventListener(action, deliver);
  source.addEventListener("message", deliver);
  source.addEventListener("error", () => {
    setState("reconnecting");
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      setTimeout(open, RETRY_MS);
    }
  });
}

// Closed when the page goes, so the server does not hold a stream for nobody.
window.addEventListener("pagehide", () => source?.close());
