-- One collection's layer of a vector tile: the features intersecting the tile (the GiST
-- index answers the filter on the 4326 storage), drawn (drawn_on_the_fly.sql or
-- drawn_from_outline.sql) on the tile's {extent}-unit grid, parts up to {buffer} units
-- outside it kept so that lines and outlines do not end at the tile's edge. What comes
-- first in WHERE is `true`, or, where the rows keep their outline, the outline's box
-- meeting the tile (the outlines' GiST index); the features stay those whose geometry
-- meets the tile (a snapped outline may touch a square its feature stops short of).
-- Before testing the geometry: `false`, or, where the rows keep their outline, whether
-- the outline's box lies well inside the tile (outline_inside.sql): such a feature meets the tile for certain,
-- and its geometry need not be read to tell. Empty when nothing is in the tile.
-- The lateral calls run once per feature the functions several properties read a field
-- of (a grid's statistics), instead of once per property. OFFSET 0 keeps the planner from
-- pushing "geom IS NOT NULL" into the scan, which would draw every feature twice.
(SELECT coalesce(ST_AsMVT(layer, {layer_name}, {extent}, 'geom'{feature_id}), ''::bytea)
 FROM (
     SELECT {drawn} AS geom,
            {attributes}
     FROM {table} AS feature_row {lateral_calls}
     WHERE {near}
       AND ({inside}
            OR ST_Intersects(feature_row.geom,
                             ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)))
       AND {narrowing}
     OFFSET 0
 ) AS layer
 WHERE geom IS NOT NULL)
