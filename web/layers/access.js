// Walking access (/api/v1/access): the minutes both access layers are drawn for, and the
// control that chooses them.
import * as L from "leaflet";
import { API, getJSON } from "../core/fetch.js";
import { element } from "../core/dom.js";
import { onLanguageChange, word } from "../core/i18n.js";

export const SERVICE_MINUTES = [5, 10, 15];
export const access = { minutes: 15, listeners: new Set() };

// A source for an access path ("areas" or "uncovered"): the view's bbox, the chosen minutes.
export function accessSource(path) {
  return {
    pad: 0.5,
    key: () => String(access.minutes),
    // a loader refreshes when the minutes change
    watch: (refresh) => access.listeners.add(refresh),
    async load({ bbox }, signal) {
      const url = new URL(`access/${path}`, API);
      url.searchParams.set("minutes", String(access.minutes));
      url.searchParams.set("bbox", bbox);
      const body = await getJSON(url, { signal });
      return { features: body.features, numberMatched: body.features.length, truncated: false };
    },
  };
}

export const minutesControl = L.control({ position: "topleft" });
minutesControl.onAdd = function () {
  const box = element("div", "onemap-panel onemap-minutes");
  const caption = element("span");
  const select = element("select");
  select.id = "onemap-minutes";
  const label = element("label");
  label.append(caption, select);
  box.append(label);
  const render = () => {
    caption.textContent = `${word("layer_service_areas")} `;
    select.replaceChildren(
      ...SERVICE_MINUTES.map((minutes) => {
        const option = element("option", null, word("minutes", { minutes }));
        option.value = String(minutes);
        option.selected = minutes === access.minutes;
        return option;
      }),
    );
  };
  render();
  onLanguageChange(render);
  select.addEventListener("change", () => {
    access.minutes = Number(select.value);
    for (const refresh of access.listeners) refresh();
  });
  L.DomEvent.disableClickPropagation(box);
  return box;
};
