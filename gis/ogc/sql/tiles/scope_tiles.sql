-- The WebMercatorQuad tiles of zooms min_zoom to max_zoom that touch a place (a district,
-- subdistrict, community or grid: {table} by {code_column}). The candidates are the tiles
-- of the place's bounding box; only those whose square meets the outline itself are kept.
WITH place AS (
    SELECT ST_Transform(geom, 3857) AS outline FROM {table} WHERE {code_column} = %(code)s
),
span AS (
    SELECT z, 2 * 20037508.342789244 / 2 ^ z AS size, 2 ^ z - 1 AS last,
           ST_XMin(outline) AS min_x, ST_YMin(outline) AS min_y,
           ST_XMax(outline) AS max_x, ST_YMax(outline) AS max_y, outline
    FROM place, generate_series(%(min_zoom)s::int, %(max_zoom)s::int) AS z
)
SELECT z, x, y
FROM span,
     generate_series(floor((min_x + 20037508.342789244) / size)::int,
                     least(floor((max_x + 20037508.342789244) / size), last)::int) AS x,
     generate_series(floor((20037508.342789244 - max_y) / size)::int,
                     least(floor((20037508.342789244 - min_y) / size), last)::int) AS y
WHERE ST_Intersects(ST_TileEnvelope(z, x, y), outline)
