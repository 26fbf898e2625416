-- One collection's layer of a vector tile at a zoom whose outlines the rows keep
-- (migration 0021, tile_outline_z<zoom>: each outline as that zoom's tiles draw it, in the
-- zoom's own units, 4096 a tile from the world's north-west corner, y down, snapped and
-- valid). The tile holds the features layer.sql's tile holds, those whose geometry meets
-- its square (a snapped outline may touch a square its feature stops short of), looked
-- up by the outlines' GiST index or the geometries'. An outline lying within the tile and
-- its {buffer}-unit margin is only moved by the
-- tile's corner (%(tile_left)s, %(tile_top)s), one crossing that margin is clipped by
-- ST_AsMVTGeom, given the outline mirrored (ST_AsMVTGeom counts y up, tile units down).
-- The rest is layer.sql's: attributes, lateral calls, OFFSET 0.
(SELECT coalesce(ST_AsMVT(layer, {layer_name}, {extent}, 'geom'{feature_id}), ''::bytea)
 FROM (
     SELECT CASE
                WHEN feature_row.{outline} @ ST_MakeEnvelope(
                         %(tile_left)s - {buffer}, %(tile_top)s - {buffer},
                         %(tile_left)s + {extent} + {buffer}, %(tile_top)s + {extent} + {buffer})
                THEN ST_Translate(feature_row.{outline}, -%(tile_left)s, -%(tile_top)s)
                ELSE ST_AsMVTGeom(ST_Scale(feature_row.{outline}, 1, -1),
                                  ST_MakeEnvelope(%(tile_left)s, -%(tile_top)s - {extent},
                                                  %(tile_left)s + {extent}, -%(tile_top)s),
                                  {extent}, {buffer}, true)
            END AS geom,
            {attributes}
     FROM {table} AS feature_row {lateral_calls}
     WHERE feature_row.{outline} && ST_MakeEnvelope(%(tile_left)s, %(tile_top)s,
                                                  %(tile_left)s + {extent}, %(tile_top)s + {extent})
       AND ST_Intersects(feature_row.geom,
                         ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))
       AND {narrowing}
     OFFSET 0
 ) AS layer
 WHERE geom IS NOT NULL)
