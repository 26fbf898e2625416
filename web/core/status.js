// The status line under the title: what each layer shows, or the one error.
import { word } from "./i18n.js";

const line = () => document.getElementById("onemap-status");
const notes = new Map();
let failure = null;

// What layer `id` (titled by the word `title`) reports from its loader; the notes are
// said in the order the layers were first reported, which is the registry's.
export function register(id) {
  if (!notes.has(id)) notes.set(id, { state: "off" });
}

export function layerState(id, title, report) {
  if (report.state === "failed") {
    failure = { title, error: report.error };
    console.error(`${id} failed to load`, report.error);
  } else if (report.state === "loaded" && failure?.title === title) {
    failure = null;
  }
  notes.set(id, { title, ...report });
  render();
}

function note({ title, state, drawn, numberMatched, truncated, minZoom }) {
  if (state !== "loaded" && state !== "zoomedOut") return null;
  const layer = word(title);
  if (state === "zoomedOut") return word("status_zoom_in", { layer, zoom: minZoom });
  if (truncated) return word("status_capped", { layer, drawn, matched: numberMatched });
  return word("status_count", { layer, drawn });
}

export function render() {
  const node = line();
  if (failure) {
    node.textContent = word("status_failed", { layer: word(failure.title), detail: failure.error.message });
    node.classList.add("is-error");
    return;
  }
  node.classList.remove("is-error");
  node.textContent = [...notes.values()].map(note).filter(Boolean).join(" · ");
  // one line in the header, cut short where it runs out of room: the whole line on hover
  node.title = node.textContent;
}

// Before the vocabulary is there, there are no words to say it in: both languages.
export function fatal(error) {
  const node = line();
  node.textContent = `词汇加载失败 / the vocabulary failed to load: ${error.message}`;
  node.classList.add("is-error");
  console.error(error);
}
