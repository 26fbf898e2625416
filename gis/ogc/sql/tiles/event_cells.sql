-- The events layer of a tile at low zoom: public events counted per square cell of the
-- tile ({cells} × {cells} cells, cell_size metres across from the south-west corner
-- (min_x, min_y) of the tile, aligned with its edges so that no cell straddles two tiles), by
-- stage and overdue, one point at each cell's centre. Only what public_events shows is
-- counted, where it shows it.
(SELECT coalesce(ST_AsMVT(cell, 'events', {extent}, 'geom'), ''::bytea)
 FROM (
     SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(%(min_x)s + (column_index + 0.5) * %(cell_size)s,
                                                 %(min_y)s + (row_index + 0.5) * %(cell_size)s),
                                    3857),
                         ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, 0, true) AS geom,
            count(*) AS events,
            {stage_counts},
            count(*) FILTER (WHERE overdue) AS overdue
     FROM (
         SELECT least(floor((ST_X(point) - %(min_x)s) / %(cell_size)s), {last_cell})
                    AS column_index,
                least(floor((ST_Y(point) - %(min_y)s) / %(cell_size)s), {last_cell})
                    AS row_index,
                status, overdue
         FROM (
             SELECT ST_Transform(feature_row.geom, 3857) AS point, feature_row.status,
                    feature_row.overdue
             FROM public_events AS feature_row
             WHERE ST_Intersects(feature_row.geom,
                                 ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))
               AND {narrowing}
         ) AS event_point
     ) AS placed
     GROUP BY column_index, row_index
 ) AS cell)
