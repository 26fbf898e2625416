-- A feature drawn on the tile's grid now: projected, snapped and made valid by
-- ST_AsMVTGeom, clipped to the tile and its margin ({geometry}: the column, or the column
-- simplified at low zoom).
ST_AsMVTGeom(ST_Transform({geometry}, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
             {extent}, {buffer}, true)
