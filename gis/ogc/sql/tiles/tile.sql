-- A vector tile of WebMercatorQuad tile z/x/y: the layers' ST_AsMVT blobs
-- concatenated (Mapbox Vector Tile layers concatenate into one tile). Each layer names
-- the tile's square as ST_TileEnvelope(z, x, y) in EPSG:3857, and as the same square
-- transformed to the 4326 storage (parallels and meridians stay straight between the
-- two) where it filters: a bound value, never a join, so every filter is an index scan.
SELECT {layers}
