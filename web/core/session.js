// Who is signed in. The session cookie is HttpOnly, so the page cannot see it: signin.js
// leaves a mark in localStorage on signing in, and only then is the service asked
// (GET /api/v1/session). An anonymous visit so makes no request the service refuses.
import { API } from "./fetch.js";

const SIGNED_IN_KEY = "onemap.signedIn";
// Who may see where patrols walked and when (app/deps.py ANALYST_ROLES, the readers of the
// patrol collections in gis/ogc/collections.py): the analyses' roles.
export const ANALYST_ROLES = ["admin", "staff", "auditor", "planner"];

async function askWhoIsSignedIn() {
  if (!localStorage.getItem(SIGNED_IN_KEY)) return null;
  const response = await fetch(new URL("session", API), { credentials: "same-origin" });
  if (response.ok) return response.json();
  localStorage.removeItem(SIGNED_IN_KEY); // the session ended
  return null;
}

// The person signed in ({login, name, role, …}) or null; asked once per page.
export const signedIn = askWhoIsSignedIn().catch((error) => {
  console.error("who is signed in", error);
  return null;
});

// Whether `person` is one of `readers` (roles, as a collection's readers in
// gis/ogc/collections.py); no readers: everyone, anonymous visitors too.
export function mayRead(person, readers) {
  if (!readers) return true;
  return Boolean(person) && readers.includes(person.role);
}
