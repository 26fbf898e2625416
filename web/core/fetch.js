// The one way the page asks the service for anything. Errors come back from the API as
// RFC 7807 problems ({title, detail, status}); they are turned into one Error the status
// line can show as it is. Requests carry an AbortSignal so a view the map has left stops
// costing the server anything.

import { boundsToWGS84 } from "./datum.js";

export class ProblemError extends Error {
  constructor(url, status, problem) {
    const detail = problem?.detail || problem?.description || `HTTP ${status}`;
    super(detail);
    this.name = "ProblemError";
    this.url = url;
    this.status = status;
    this.title = problem?.title || problem?.code || null;
  }
}

export function isAbort(error) {
  return error?.name === "AbortError";
}

// The JSON at `url`; a problem answer throws a ProblemError.
export async function getJSON(url, { signal } = {}) {
  const response = await fetch(url, {
    signal,
    headers: { Accept: "application/geo+json, application/json" },
  });
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // not JSON: the status says enough
    }
    throw new ProblemError(url, response.status, problem);
  }
  return response.json();
}

// Every feature at `url`, following OGC API rel=next links until `cap` features are read:
// {features, numberMatched, truncated}.
export async function getFeatures(url, { cap = Infinity, signal } = {}) {
  let next = new URL(url);
  const features = [];
  let numberMatched = null;
  while (next && features.length < cap) {
    const page = await getJSON(next, { signal });
    if (numberMatched === null && Number.isInteger(page.numberMatched)) {
      numberMatched = page.numberMatched;
    }
    features.push(...page.features);
    const link = (page.links || []).find((candidate) => candidate.rel === "next");
    next = link ? new URL(link.href, next) : null;
  }
  return {
    features: features.slice(0, cap),
    numberMatched: numberMatched ?? features.length,
    truncated: next !== null || features.length > cap,
  };
}

// Resolved against the page, so the service may sit under a path prefix.
export const OGC = new URL("ogc/", document.baseURI);
export const API = new URL("api/v1/", document.baseURI);

// An OGC API Features collection's items URL with the given query parameters.
export function itemsURL(collection, parameters = {}) {
  const url = new URL(`collections/${collection}/items`, OGC);
  for (const [name, value] of Object.entries(parameters)) {
    url.searchParams.set(name, String(value));
  }
  return url;
}

// A view's bbox as the APIs take it, in WGS84 whatever datum the map is drawn in: six
// decimals of a degree is about 0.1 m, enough, and keeps the URLs short.
export function bboxOf(bounds) {
  return boundsToWGS84(bounds)
    .map((value) => value.toFixed(6))
    .join(",");
}
