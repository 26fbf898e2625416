-- Whether a feature's kept outline ({outline}, in the zoom's units from the tile's
-- north-west corner %(tile_left)s, %(tile_top)s) lies inside the tile by more than
-- {margin} units. Every point of an outline is within a unit of its feature's geometry
-- (snapped to the unit grid: half a unit's diagonal; simplified below z12: a quarter
-- unit), so the feature then meets the tile: the same answer as ST_Intersects on the
-- geometry, found from the outline's box alone (no geometry read, no intersection).
feature_row.{outline} @ ST_MakeEnvelope(
    %(tile_left)s + {margin}, %(tile_top)s + {margin},
    %(tile_left)s + {extent} - {margin}, %(tile_top)s + {extent} - {margin})
