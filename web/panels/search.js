// Search by code or name (GET /api/v1/search) in the header: picking a result fits the
// map to the place and opens its panel. Only the levels that have a panel are searched;
// compounds (小区) have no code, so their results carry the compound's id as their code.
import { element } from "../core/dom.js";
import { API, getJSON, isAbort } from "../core/fetch.js";
import { onLanguageChange, word } from "../core/i18n.js";
import { fitPlace, LEVEL_WORDS } from "./place.js";

const LEVELS = "township,community,grid,compound,building";
const LIMIT = 10;
const DEBOUNCE_MS = 250;

export function searchBox(map, place) {
  const box = element("form", "onemap-search");
  box.setAttribute("role", "search");
  const input = element("input");
  input.type = "search";
  input.id = "onemap-search";
  input.autocomplete = "off";
  const list = element("ul", "onemap-search-results");
  list.hidden = true;
  box.append(input, list);

  let results = [];
  let controller = null;
  let timer = null;
  let searched = Promise.resolve([]);

  const label = () => {
    input.placeholder = word("search_placeholder");
    input.setAttribute("aria-label", word("search"));
  };

  function pick(result) {
    list.hidden = true;
    input.value = result.name;
    const opened = place.open(result.level === "compound" ? { compound: result.code } : { code: result.code });
    // the panel is open (loading) by now, so the place goes beside it
    fitPlace(map, result.bbox);
    return opened;
  }

  function show(query) {
    list.replaceChildren();
    if (!results.length) {
      list.append(element("li", "onemap-hint", word("search_none", { query })));
    }
    for (const result of results) {
      const row = element("li");
      const button = element("button", "onemap-search-result");
      button.type = "button";
      button.dataset.code = result.code;
      button.dataset.level = result.level;
      button.append(
        element("span", "onemap-search-name", result.name),
        element("span", "onemap-hint", ` ${word(LEVEL_WORDS[result.level])} · ${result.code}`),
        element("div", "onemap-hint", result.path),
      );
      button.addEventListener("click", () => pick(result).catch(() => {}));
      row.append(button);
      list.append(row);
    }
    list.hidden = false;
  }

  async function search(query) {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    const url = new URL("search", API);
    url.searchParams.set("q", query);
    url.searchParams.set("level", LEVELS);
    url.searchParams.set("limit", String(LIMIT));
    try {
      const answer = await getJSON(url, { signal: mine.signal });
      if (mine.signal.aborted) return null;
      results = answer.results;
      show(query);
      return results;
    } catch (error) {
      if (isAbort(error) || mine.signal.aborted) return null;
      list.replaceChildren(element("li", "onemap-bad", error.message));
      list.hidden = false;
      return null;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) {
      controller?.abort();
      list.hidden = true;
      return;
    }
    timer = setTimeout(() => {
      searched = search(query);
    }, DEBOUNCE_MS);
  });
  // Enter takes the first result
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    if (results.length && !list.hidden) pick(results[0]).catch(() => {});
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") list.hidden = true;
  });

  label();
  onLanguageChange(() => {
    label();
    if (!list.hidden && results.length) show(input.value.trim());
  });
  return {
    element: box,
    // the latest search's results, once they are shown
    get searched() {
      return searched;
    },
  };
}
