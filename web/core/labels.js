// Place names that never pile up. After every zoom and every load, the labels shown are
// laid out again in order of rank (subdistricts before communities, then as the map drew
// them): a label whose box would overlap one already placed is hidden, so at the city's
// first view the names that fit are readable and zooming in, where places grow apart on
// screen, shows more of them. Positions are the map pane's, so a pan changes nothing.

// Pixels kept clear around each name, so that two names never touch.
const MARGIN = 3;
const CROWDED = "onemap-label-crowded";

function overlaps(a, b) {
  return a.left < b.right + MARGIN && b.left < a.right + MARGIN && a.top < b.bottom + MARGIN && b.top < a.bottom + MARGIN;
}

// Hides each label (of `selectors`, in order of rank) that would overlap one placed
// before it; those the style hides already (display: none) take no room.
export function declutter(container, selectors) {
  const placed = [];
  for (const selector of selectors) {
    for (const label of container.querySelectorAll(selector)) {
      const box = label.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const crowded = placed.some((other) => overlaps(box, other));
      label.classList.toggle(CROWDED, crowded);
      if (!crowded) placed.push(box);
    }
  }
}

// Lays the labels out once the browser has placed them (at most once a frame).
export function labelPlacer(container, selectors) {
  let pending = 0;
  return () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => declutter(container, selectors));
  };
}
