// What the map covers (GET /api/v1/area): its one county, the city its counties share, or
// how many counties; the page's title and the wall's name it in the page's language.
import { API, getJSON } from "./fetch.js";
import { word } from "./i18n.js";

let covered = null;

export async function loadArea() {
  covered = await getJSON(new URL("area", API));
  return covered;
}

// The place's name as the title says it: 江南区, 南宁市, or "12 个区县" / "12 counties".
function place() {
  if (covered?.level === "counties") return word("area_counties", { count: covered.counties });
  return covered?.name ?? null;
}

export function pageTitle() {
  const name = place();
  return name ? word("page_title", { place: name }) : word("page_title_empty");
}

export function mapLabel() {
  const name = place();
  return name ? word("map_label", { place: name }) : word("page_title_empty");
}
