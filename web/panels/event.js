// An event's panel: what it is, where it stands, its history (GET /api/v1/events/{id}),
// and for a signed-in member of the command centre the actions their role allows at this
// stage, done through the events API (POST /api/v1/events/{id}/transitions). What the
// panel shows is what the API answers the caller: anonymous visitors get the public view
// (no personal data) and no buttons; the page adds nothing of its own.
import * as L from "leaflet";
import { API, getJSON } from "../core/fetch.js";
import { definitionList, element } from "../core/dom.js";
import { currentLanguage, onLanguageChange, term, word } from "../core/i18n.js";
import { signedIn as session } from "../core/session.js";
import { onTransition } from "../core/stream.js";

// The actions a panel offers (settling on the spot is the grid member's, on the field
// page). Three take more than a note: dispatch the department (or the grid; by the rules
// when none is chosen), evaluate a rating taken by phone, merge the event it repeats.
const OFFERED = new Set([
  "file", "dispatch", "accept", "return", "handle", "close", "rework", "evaluate", "merge", "reject", "not_responsible",
]);
const RATINGS = [5, 4, 3, 2, 1];

let box = null;
let shown = null; // the event's feature as the API answered it
let problem = null;
let person = null; // GET /api/v1/session, when signed in
let transitions = []; // GET /api/v1/event-transitions
let controller = null;
const departmentsOf = new Map(); // county code → Promise of GET /api/v1/departments?county=

// who is signed in (web/core/session.js: nobody is asked for on an anonymous visit) and,
// for them, the transition table
async function whoIsSignedIn() {
  person = await session;
  if (person) transitions = (await getJSON(new URL("event-transitions", API))).transitions;
}
const signedIn = whoIsSignedIn().catch((error) => console.error("who is signed in", error));

// The actions `person` may take on the event now: allowed at its stage (the API's
// allowed_actions) and given to their role (the transition table).
function actionsFor(p) {
  if (!person) return [];
  const allowed = new Set(p.allowed_actions || []);
  return transitions
    .filter((t) => allowed.has(t.action) && t.roles.includes(person.role) && OFFERED.has(t.action))
    .map((t) => t.action);
}

// Told of the event a panel opens on ({feature, fly}): the map marks it, and brings it
// into view when asked to (web/layers/events.js).
const openedListeners = new Set();
export function onEventOpened(listener) {
  openedListeners.add(listener);
}

export async function openEvent(id, { fly = false } = {}) {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  problem = null;
  try {
    await signedIn;
    shown = await getJSON(new URL(`events/${encodeURIComponent(id)}`, API), { signal });
  } catch (error) {
    if (error.name === "AbortError") return;
    shown = null;
    problem = error.message;
  }
  render();
  for (const listener of openedListeners) listener({ feature: shown, fly });
}

function formatTime(value) {
  if (!value) return "—";
  return new Date(value).toLocaleString(document.documentElement.lang, { timeZone: "Asia/Shanghai", hour12: false });
}

function assignee(a) {
  if (!a) return null;
  return a.kind === "grid" ? word("assignee_grid", { code: a.grid_code }) : a.name;
}

function facts(p) {
  const rows = [
    [word("tracking_number"), p.tracking_number],
    [word("event_category"), term("event_categories", p.category_code)],
    [word("event_stage"), term("event_statuses", p.status)],
    [word("event_source"), term("event_sources", p.source)],
    [word("reported_at"), formatTime(p.reported_at)],
    [word("deadline_at"), formatTime(p.deadline_at)],
    [word("assignee"), assignee(p.assignee)],
    [word("grid_code"), p.grid_code],
  ];
  // the centre in the page's language (the API's supervised_by says it in both)
  if (p.escalation_level > 0) rows.push([word("supervised_by"), word(`supervisor_${p.escalation_level}`)]);
  return rows;
}

// A note onemap wrote itself (details.note_code) in the page's language, from the step's
// figures; a note somebody typed as they typed it.
const NOTE_FIGURES = {
  escalated: (d) => ({ deadline: formatTime(d.deadline_at), centre: word(`supervisor_${d.to_level}`) }),
  dispatched: (d) => ({
    assignee: d.assignee === "department" ? d.department_name : word("dispatch_to_grid"),
    hours: d.deadline_hours,
  }),
  likely_duplicate: (d) => ({ tracking_number: d.tracking_number, metres: d.metres }),
  no_rule: () => ({}),
  hotline_import: () => ({}),
};

function noteText(step) {
  const details = step.details || {};
  if (!Object.hasOwn(NOTE_FIGURES, details.note_code)) return step.note;
  return word(`note_${details.note_code}`, NOTE_FIGURES[details.note_code](details));
}

function history(steps) {
  const list = element("ol", "onemap-event-history");
  for (const step of steps) {
    const row = element("li");
    row.dataset.action = step.action;
    row.append(
      element("span", "onemap-event-history-time", formatTime(step.at)),
      element("strong", null, term("event_actions", step.action)),
      element("span", null, `${term("actor_roles", step.role)}${step.to_status ? ` → ${term("event_statuses", step.to_status)}` : ""}`),
    );
    // the public reads no internal note: none shown, whoever wrote it
    if (step.note) row.append(element("div", "onemap-event-history-note", noteText(step)));
    list.append(row);
  }
  return list;
}

function departments(county) {
  if (!departmentsOf.has(county)) {
    const url = new URL("departments", API);
    url.searchParams.set("county", county);
    departmentsOf.set(county, getJSON(url).then((body) => body.departments));
  }
  return departmentsOf.get(county);
}

function labelled(labelKey, control) {
  const label = element("label", "onemap-event-field", word(labelKey));
  label.append(control);
  return label;
}

// The department picker: by the rules (the default), the event's grid, or a department of
// its county (their names in the page's language).
function departmentPicker(p) {
  const select = element("select");
  select.id = "onemap-event-department";
  select.append(new Option(word("dispatch_by_rules"), ""), new Option(word("dispatch_to_grid"), "grid"));
  departments(p.grid_code.slice(0, 6))
    .then((list) => {
      const english = currentLanguage() === "en";
      for (const d of list) select.append(new Option(english ? d.name_en : d.name, d.code));
    })
    .catch((error) => console.error("departments", error));
  return labelled("dispatch_department", select);
}

function ratingPicker() {
  const select = element("select");
  select.id = "onemap-event-rating";
  for (const rating of RATINGS) select.append(new Option(String(rating), String(rating)));
  return labelled("evaluation_rating", select);
}

// The event it repeats: the likely one found on intake, unless staff name another.
function duplicatePicker(p) {
  const input = element("input");
  input.type = "text";
  input.id = "onemap-event-duplicate-of";
  input.maxLength = 40;
  input.value = p.duplicate_of?.tracking_number || "";
  return labelled("merge_into", input);
}

// What an action sends besides its note, read from the form's fields.
function details(action, form) {
  if (action === "dispatch") {
    const department = form.querySelector("#onemap-event-department").value;
    return department ? { department } : {};
  }
  if (action === "evaluate") return { rating: Number(form.querySelector("#onemap-event-rating").value) };
  if (action === "merge") {
    const duplicateOf = form.querySelector("#onemap-event-duplicate-of").value.trim();
    return duplicateOf ? { duplicate_of: duplicateOf } : {};
  }
  return {};
}

function actions(p) {
  const available = actionsFor(p);
  if (available.length === 0) return null;
  const form = element("div", "onemap-event-actions");
  const note = element("input");
  note.type = "text";
  note.id = "onemap-event-note";
  note.placeholder = word("action_note");
  note.maxLength = 2000;
  const buttons = element("div", "onemap-event-buttons");
  const said = element("div", "onemap-event-said");
  for (const action of available) {
    const button = element("button", "onemap-event-action", term("event_actions", action));
    button.type = "button";
    button.dataset.action = action;
    button.addEventListener("click", () =>
      act(shown.id, { action, note: note.value, ...details(action, form) }, p.status, said, buttons),
    );
    buttons.append(button);
  }
  const fields = [];
  if (available.includes("dispatch")) fields.push(departmentPicker(p));
  if (available.includes("evaluate")) fields.push(ratingPicker());
  if (available.includes("merge")) fields.push(duplicatePicker(p));
  form.append(
    element("h3", null, `${word("event_actions")} · ${word("signed_in_as", { name: person.name, role: term("person_roles", person.role) })}`),
    note,
    ...fields,
    buttons,
    said,
  );
  return form;
}

async function act(id, request, status, said, buttons) {
  for (const button of buttons.querySelectorAll("button")) button.disabled = true;
  said.textContent = "";
  try {
    const response = await fetch(new URL(`events/${id}/transitions`, API), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      // expected_status: refused (409) if someone else moved the event on meanwhile
      body: JSON.stringify({ ...request, expected_status: status }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      said.textContent = word("action_failed", { detail: body?.detail || `HTTP ${response.status}` });
      for (const button of buttons.querySelectorAll("button")) button.disabled = false;
      return;
    }
    shown = body.event;
    render();
  } catch (error) {
    said.textContent = word("action_failed", { detail: error.message });
    for (const button of buttons.querySelectorAll("button")) button.disabled = false;
  }
}

function render() {
  if (!box) return;
  box.hidden = !shown && !problem;
  // the panel takes the queue's place (there is not room for both beside the filters);
  // closing it brings the queue back
  const queue = document.getElementById("onemap-queue");
  if (queue) queue.hidden = !box.hidden;
  if (box.hidden) return;
  const close = element("button", "onemap-event-close", "×");
  close.type = "button";
  close.title = word("close");
  close.setAttribute("aria-label", word("close"));
  close.addEventListener("click", () => {
    shown = null;
    problem = null;
    render();
    for (const listener of openedListeners) listener({ feature: null, fly: false });
  });
  const heading = element("h2", null, word("event_panel"));
  box.replaceChildren(close, heading);
  if (problem) {
    box.append(element("div", "onemap-event-said", problem));
    return;
  }
  const p = shown.properties;
  box.dataset.eventId = String(shown.id);
  const flags = element("div", "onemap-event-flags");
  if (p.overdue) flags.append(element("span", "onemap-queue-flag", word("event_overdue")));
  if (p.escalation_level > 0) flags.append(element("span", "onemap-queue-flag", word("event_escalated", { level: p.escalation_level })));
  box.append(flags, definitionList(facts(p)));
  if (p.description) box.append(element("p", "onemap-event-description", p.description));
  box.append(element("h3", null, word("event_history")), history(p.history || []));
  const form = actions(p);
  if (form) box.append(form);
  else if (!person) {
    // the way to act, for someone who may: sign in and come back to the map
    const signIn = element("a", "onemap-signin-link", word("sign_in_to_act"));
    signIn.href = `signin?next=${encodeURIComponent(window.location.pathname)}`;
    box.append(signIn);
  }
}

// an event on show that moves on is shown as it now is
onTransition((transition) => {
  if (shown && transition.event_id === shown.id) openEvent(shown.id);
});

export const eventPanel = L.control({ position: "bottomleft" });
eventPanel.onAdd = function () {
  box = element("div", "onemap-panel onemap-event-panel");
  box.id = "onemap-event";
  box.hidden = true;
  onLanguageChange(render);
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  return box;
};
