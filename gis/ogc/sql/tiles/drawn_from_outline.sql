-- A feature drawn from the outline its row keeps for the zoom (migration 0021, {outline}:
-- the outline as the zoom's tiles draw it, in the zoom's own units, 4096 a tile from the
-- world's north-west corner, y down, snapped and valid). One lying within the tile and its
-- {buffer}-unit margin is only moved by the tile's corner (%(tile_left)s, %(tile_top)s);
-- one crossing that margin is clipped by ST_AsMVTGeom, given the outline mirrored
-- (ST_AsMVTGeom counts y up, tile units down).
CASE
    WHEN feature_row.{outline} @ ST_MakeEnvelope(
             %(tile_left)s - {buffer}, %(tile_top)s - {buffer},
             %(tile_left)s + {extent} + {buffer}, %(tile_top)s + {extent} + {buffer})
    THEN ST_Translate(feature_row.{outline}, -%(tile_left)s, -%(tile_top)s)
    ELSE ST_AsMVTGeom(ST_Scale(feature_row.{outline}, 1, -1),
                      ST_MakeEnvelope(%(tile_left)s, -%(tile_top)s - {extent},
                                      %(tile_left)s + {extent}, -%(tile_top)s),
                      {extent}, {buffer}, true)
END
