// Where a layer's features come from: an OGC API Features collection, the view's bbox,
// paged by rel=next up to a cap.
import { getFeatures, itemsURL } from "../core/fetch.js";

export function collection(id, { limit = 1000, cap = 10000, pad = 0.2, minZoom = 0 } = {}) {
  return {
    minZoom,
    pad,
    load: ({ bbox }, signal) => getFeatures(itemsURL(id, { limit, bbox }), { cap, signal }),
  };
}
