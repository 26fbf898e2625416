// The page's language: zh-CN by default, English by a toggle kept in localStorage. Every
// label, the page's own words included, comes from the service's vocabulary
// (GET /api/v1/vocabulary, served to the page as static/vocabulary.json).
import { getJSON } from "./fetch.js";

const STORAGE_KEY = "onemap.language";
const LANGUAGES = ["zh", "en"];
const vocabularies = {};
const listeners = new Set();

let language = LANGUAGES.includes(localStorage.getItem(STORAGE_KEY))
  ? localStorage.getItem(STORAGE_KEY)
  : "zh";

export async function loadVocabulary() {
  const body = await getJSON(new URL("static/vocabulary.json", document.baseURI));
  for (const [name, { terms }] of Object.entries(body)) {
    vocabularies[name] = new Map(terms.map((term) => [term.value, term]));
  }
}

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  if (!LANGUAGES.includes(next) || next === language) return;
  language = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  for (const listener of listeners) listener(next);
}

export function toggleLanguage() {
  setLanguage(language === "zh" ? "en" : "zh");
}

// Called on every change of language (and not at once: call it yourself to draw first).
export function onLanguageChange(listener) {
  listeners.add(listener);
}

// What `value` is called in the named vocabulary, in the current language; a value the
// vocabulary does not know is shown as it is.
export function term(vocabulary, value) {
  if (value === null || value === undefined) return null;
  const known = vocabularies[vocabulary]?.get(value);
  return known ? known[language] : String(value);
}

// One of the page's own words, with `{name}` filled in from `figures`.
export function word(key, figures = {}) {
  const text = term("interface_words", key) ?? "";
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in figures ? String(figures[name]) : whole));
}

document.documentElement.lang = language === "zh" ? "zh-CN" : "en";

// The values of the named vocabulary, in its order (for a form's choices).
export function vocabularyValues(vocabulary) {
  return [...(vocabularies[vocabulary]?.keys() ?? [])];
}
