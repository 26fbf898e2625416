// Place names that never pile up. After every move, zoom and load, the labels in view are
// laid out again in order of rank (subdistricts before communities, then as the map drew
// them): a label whose box would overlap one already placed is hidden, so at the city's
// first view the names that fit are readable and zooming in, where places grow apart on
// screen, shows more of them.

import * as L from "leaflet";
import { element } from "./dom.js";

// Pixels kept clear around each name, so that two names never touch.
const MARGIN = 3;
const CROWDED = "onemap-label-crowded";

function overlaps(a, b) {
  return a.left < b.right + MARGIN && b.left < a.right + MARGIN && a.top < b.bottom + MARGIN && b.top < a.bottom + MARGIN;
}

// Hides each label (of `selectors`, in order of rank) that would overlap one placed
// before it; those the style hides already (display: none) take no room.
// Every box is measured before any class changes: a change between two measurements
// would make the browser lay the page out again for each label.
// Only the names in view are laid out (a city holds thousands): the map lays them out
// again after every pan.
export function declutter(container, selectors) {
  const view = container.getBoundingClientRect();
  const labels = selectors.flatMap((selector) => [...container.querySelectorAll(selector)]);
  const boxes = labels.map((label) => label.getBoundingClientRect());
  const placed = [];
  const crowded = boxes.map((box) => {
    if (box.width === 0 && box.height === 0) return false;
    if (!overlaps(box, view)) return false;
    const hidden = placed.some((other) => overlaps(box, other));
    if (!hidden) placed.push(box);
    return hidden;
  });
  labels.forEach((label, index) => label.classList.toggle(CROWDED, crowded[index]));
}

// Lays the labels out once the browser has placed them (at most once a frame).
export function labelPlacer(container, selectors) {
  let pending = 0;
  return () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => declutter(container, selectors));
  };
}

// The names of a layer's places, made only where they are shown: within the layer's
// zooms (`[minZoom, maxZoom)`) and for the places in view (or close to it). A city holds
// thousands of communities: bound to each as a permanent tooltip, the names were most of
// a zoom's time. A name is a marker holding its text, not a tooltip: a tooltip measures
// itself each time it is placed, which makes the browser lay the page out again for each
// name; a marker is only moved, and CSS centres the text on the place.
// Returns the function that brings the names up to date (after a move, a load, an add).
export function placeNames(map, layer, { className, minZoom = 0, maxZoom = Infinity }) {
  // a drawn place (its path) → the marker of its name
  const names = new Map();
  const pane = namesPane(map);
  return () => {
    const zoom = map.getZoom();
    const shown = map.hasLayer(layer) && zoom >= minZoom && zoom < maxZoom;
    const near = map.getBounds().pad(0.25);
    const wanted = new Set();
    if (shown) layer.eachLayer((path) => near.intersects(path.getBounds()) && wanted.add(path));
    for (const [path, name] of names) {
      if (wanted.has(path)) continue;
      name.remove();
      names.delete(path);
    }
    for (const path of wanted) {
      if (names.has(path)) continue;
      const text = element("span", className, path.feature.properties.name);
      const icon = L.divIcon({ className: "onemap-place-name", html: text, iconSize: null });
      names.set(path, L.marker(path.getCenter(), { icon, interactive: false, keyboard: false, pane }).addTo(map));
    }
  };
}

const NAMES_PANE = "names";

// The names' own pane, hidden while the map zooms (the names are laid out again when the
// zoom ends, where they then are).
function namesPane(map) {
  if (map.getPane(NAMES_PANE)) return NAMES_PANE;
  const pane = map.createPane(NAMES_PANE);
  pane.classList.add("leaflet-zoom-hide");
  // above the layers' panes (≤ 620) and the markers', under the popups
  pane.style.zIndex = "650";
  return NAMES_PANE;
}
