// The big layers (grids, buildings) drawn from the OGC API – Tiles vector tiles
// (/ogc/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}, Mapbox Vector Tiles built by
// PostGIS: docs/tiles.md) with Leaflet.VectorGrid, instead of the collection's GeoJSON.
// A city's tens of thousands of grids never reach the page as GeoJSON: each tile is
// fetched once (the server's strong ETags make a revisit a 304), drawn as SVG, and only
// the view's tiles are held.
//
// One way of drawing per page: `?draw=geojson` draws every layer from the features API
// as before (the benchmark's baseline, bench/bench_map.py, and the tests that read the
// GeoJSON paths); anything else draws these layers from tiles.
//
// The view-bound loader (core/loader.js) stays the one that says when a layer is drawn:
// a tiled layer's source loads nothing itself, it waits until every tile of the view is
// drawn and answers with the features those tiles hold (their codes and properties, no
// geometry), which the layer keeps as what it shows. Its key is the view's range of tiles,
// so each move onto other tiles is a load of its own, reported like any other.
import * as L from "leaflet";
import "./markercluster.js"; // the global L the plugin extends
import "leaflet.vectorgrid";
import { datum, latLngToMap } from "../core/datum.js";
import { OGC } from "../core/fetch.js";

const TILE_MATRIX_SET = "WebMercatorQuad";

// `?draw=geojson`: the layers drawn from the features API only.
export const DRAW_FROM_TILES = new URLSearchParams(window.location.search).get("draw") !== "geojson";

// The plugin's per-tile SVG renderer, marking each path with its feature's code so that
// tests and people's tooling find a feature in the DOM, as the GeoJSON layers do.
const CodedTile = window.L.SVG.Tile.extend({
  _addPath(layer) {
    window.L.SVG.Tile.prototype._addPath.call(this, layer);
    if (layer.feature && layer._path) layer._path.setAttribute("data-code", String(layer.feature.id));
  },
});

const TiledCollection = window.L.VectorGrid.Protobuf.extend({
  initialize(url, options) {
    window.L.VectorGrid.Protobuf.prototype.initialize.call(this, url, options);
    // tile key → the features it holds, [{type, id, properties, geometry: null}]
    this.held = new Map();
    // what the loader last reported drawn for the view
    this.drawn = [];
    this.on("tileunload", ({ coords }) => this.held.delete(this._tileCoordsToKey(coords)));
  },

  // The tile's features, recorded by code, and on a GCJ-02 basemap each vertex shifted
  // there (the tiles are WGS84's Web Mercator, the basemap's streets are not).
  _getVectorTilePromise(coords) {
    const parent = window.L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
    return parent.call(this, coords).then((tile) => {
      const layer = tile.layers[this.options.collection];
      const features = (layer?.features || []).map((feat) => ({
        type: "Feature",
        id: String(feat.properties[this.options.idProperty]),
        properties: feat.properties,
        geometry: null,
      }));
      if (layer) this.shift(layer, coords);
      this.held.set(this._tileCoordsToKey(coords), features);
      return tile;
    });
  },

  shift(layer, coords) {
    if (datum() !== "gcj02") return; // WGS84: nothing moves
    const size = this.getTileSize();
    const scale = size.x / layer.extent;
    for (const feat of layer.features) {
      for (const ring of feat.geometry) {
        for (const point of ring) {
          const global = L.point(coords.x * size.x + point.x * scale, coords.y * size.y + point.y * scale);
          const { lat, lng } = this._map.unproject(global, coords.z);
          const moved = this._map.project(latLngToMap([lat, lng]), coords.z);
          point.x = (moved.x - coords.x * size.x) / scale;
          point.y = (moved.y - coords.y * size.y) / scale;
        }
      }
    }
  },

  // No tiles below the layer's least zoom, though the grid layer rounds the map's zoom
  // (15.75 would draw z16 tiles): the loader calls such a view zoomed out, and so it is.
  _setView(center, zoom, noPrune, noUpdate) {
    const drawn = zoom < this.options.minZoom ? this.options.minZoom - 1 : zoom;
    window.L.VectorGrid.Protobuf.prototype._setView.call(this, center, drawn, noPrune, noUpdate);
  },

  // Each drawn part carries its feature as a GeoJSON layer's path does (the place panel
  // and the layer's own handlers read `feature`).
  _createLayer(feat, pxPerExtent) {
    const part = window.L.VectorGrid.prototype._createLayer.call(this, feat, pxPerExtent);
    part.feature = { type: "Feature", id: String(feat.properties[this.options.idProperty]), properties: feat.properties };
    return part;
  },

  // The view's tiles at the zoom the layer draws, as Leaflet's grid layer picks them.
  viewTiles() {
    if (!this._map || this._tileZoom === undefined) return [];
    const range = this._pxBoundsToTileRange(this._getTiledPixelBounds(this._map.getCenter()));
    const tiles = [];
    for (let y = range.min.y; y <= range.max.y; y++) {
      for (let x = range.min.x; x <= range.max.x; x++) {
        const coords = L.point(x, y);
        coords.z = this._tileZoom;
        if (this._isValidTile(coords)) tiles.push(coords);
      }
    }
    return tiles;
  },

  // The view's tiles as "z/x0-x1/y0-y1": the loader's key.
  viewKey() {
    const tiles = this.viewTiles();
    if (!tiles.length) return "";
    const xs = tiles.map((t) => t.x);
    const ys = tiles.map((t) => t.y);
    return `${tiles[0].z}/${Math.min(...xs)}-${Math.max(...xs)}/${Math.min(...ys)}-${Math.max(...ys)}`;
  },

  // Resolves once every tile of the view is drawn, with the features they hold (each
  // once, however many tiles it crosses); rejects with an AbortError when `signal` aborts.
  whenDrawn(signal) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const tiles = this.viewTiles();
        const keys = tiles.map((coords) => this._tileCoordsToKey(coords));
        if (!tiles.length || !keys.every((key) => this._tiles[key]?.loaded && this.held.has(key))) return;
        this.off("tileload tileerror load", check);
        const features = new Map();
        for (const key of keys) for (const feature of this.held.get(key)) features.set(feature.id, feature);
        resolve({ features: [...features.values()], numberMatched: features.size, truncated: false, tiles: keys });
      };
      signal.addEventListener("abort", () => {
        this.off("tileload tileerror load", check);
        reject(new DOMException("the view moved on", "AbortError"));
      });
      this.on("tileload tileerror load", check);
      check();
    });
  },

  // The loader's side of the layer: what it reports drawn for the view.
  addData(features) {
    this.drawn = features;
    return this;
  },
  clearLayers() {
    this.drawn = [];
    return this;
  },
});

// A collection drawn from its tiles: `{source, makeLayer}` for a layer module.
// `style(feature)` is the module's own style function; `idProperty` the property that is
// the feature's id in the features API (its code).
// `popup(properties)`, when given, opens where a feature is clicked.
export function tiledCollection(collection, { idProperty, minZoom = 0, className, style, popup, interactive = true }) {
  let layer = null;
  // an outline is filled unless its style says not (the plugin starts from L.Path's
  // options, where L.Polygon's would fill)
  const tileStyle = (properties) => ({ fill: true, ...style({ properties }), className });
  return {
    source: {
      minZoom,
      // the view itself: a move onto other tiles is a new load
      pad: 0,
      // its load waits for the layer's own tile requests: nothing to debounce
      fetches: false,
      key: () => layer?.viewKey() ?? "",
      load: (view, signal) => layer.whenDrawn(signal),
    },
    makeLayer: ({ pane, map }) => {
      const template = new URL(`collections/${collection}/tiles/${TILE_MATRIX_SET}/{z}/{x}/{y}`, OGC);
      layer = new TiledCollection(decodeURI(template.href), {
        pane,
        collection,
        idProperty,
        minZoom,
        interactive,
        rendererFactory: (coords, size, options) => new CodedTile(coords, size, options),
        vectorTileLayerStyles: { [collection]: tileStyle },
        getFeatureId: (feat) => String(feat.properties[idProperty]),
      });
      if (popup) {
        layer.on("click", ({ layer: part, latlng }) => {
          L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(popup(part.feature.properties)).openOn(map);
        });
      }
      return layer;
    },
  };
}
