// Where the map's coordinates are. The service stores and serves WGS84; a Chinese web
// basemap (AMap, Tencent, Tianditu's GCJ variants) draws its tiles in GCJ-02, a few
// hundred metres off around Nanning. On such a basemap the page draws every feature
// shifted to GCJ-02 so it lies on the basemap's streets, and turns the view back into
// WGS84 before asking the APIs for it. Without a basemap, or on a WGS84 one, nothing moves.
// The shift is gcoord's, the published GCJ-02 algorithm the import path uses too
// (gis/crs.py; a browser test holds the two together).
import gcoord from "gcoord";

let onGCJ02 = false;

// The datum the basemap's tiles are drawn in: "wgs84" (or none) or "gcj02".
export function useDatum(datum) {
  onGCJ02 = datum === "gcj02";
}

export function datum() {
  return onGCJ02 ? "gcj02" : "wgs84";
}

// A GeoJSON object from the APIs (WGS84), as the map draws it: shifted in place.
export function toMap(geojson) {
  if (onGCJ02) gcoord.transform(geojson, gcoord.WGS84, gcoord.GCJ02);
  return geojson;
}

// A WGS84 [lat, lng] as a map position.
export function latLngToMap([lat, lng]) {
  if (!onGCJ02) return [lat, lng];
  const [x, y] = gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02);
  return [y, x];
}

// A map position as WGS84 [lng, lat].
function toWGS84(latLng) {
  if (!onGCJ02) return [latLng.lng, latLng.lat];
  return gcoord.transform([latLng.lng, latLng.lat], gcoord.GCJ02, gcoord.WGS84);
}

// The map's bounds as a WGS84 box [west, south, east, north]: each corner turned back
// (the shift varies slowly, so the corners of a view are the corners of its box).
export function boundsToWGS84(bounds) {
  const [west, south] = toWGS84(bounds.getSouthWest());
  const [east, north] = toWGS84(bounds.getNorthEast());
  return [west, south, east, north];
}
