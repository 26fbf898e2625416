// DOM helpers. Feature properties are data typed in by people: they reach the page only
// through textContent, never innerHTML, whether in panels, popups or labels.

// A new element with an optional class and text.
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A <dl> of [term, value] rows; a missing value shows as a dash.
export function definitionList(rows) {
  const list = element("dl");
  for (const [term, value] of rows) {
    list.append(element("dt", null, term), element("dd", null, value ?? "—"));
  }
  return list;
}

// A popup's content: a heading and its rows.
export function card(title, rows) {
  const box = element("div", "onemap-popup");
  box.append(element("h3", null, title), definitionList(rows));
  return box;
}

// A legend key: a filled square or an outline of the layer's own style.
export function swatch(style) {
  const key = element("span", style.fill === false ? "onemap-legend-line" : "onemap-legend-swatch");
  // a point layer's key is round, as its markers are, and may carry the marker's badge
  if (style.shape === "dot") key.classList.add("onemap-legend-dot");
  if (style.badge) key.textContent = style.badge;
  if (style.fill === false) {
    key.style.borderTopColor = style.color;
    key.style.borderTopWidth = `${Math.max(2, style.weight || 2)}px`;
  } else {
    // the fill as thin as on the map (but findable), the stroke as the border
    const share = Math.round(100 * Math.max(0.25, style.fillOpacity ?? 0.2));
    key.style.background = `color-mix(in srgb, ${style.fillColor || style.color} ${share}%, white)`;
    key.style.borderColor = style.color;
    key.style.borderWidth = "2px";
  }
  return key;
}
