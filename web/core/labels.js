// Place names that never pile up. After every move, zoom and load, the labels in view are
// laid out again in order of rank (subdistricts before communities, then as the map drew
// them): a label whose box would overlap one already placed is hidden, so at the city's
// first view the names that fit are readable and zooming in, where places grow apart on
// screen, shows more of them.

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
