-- The spatial extent (CRS84, straight from the 4326 storage) and the temporal extent of a
-- collection, with the version they were computed at (read in the same snapshot, the key
-- they are cached by); the temporal bounds are NULL for collections without a temporal
-- column.
WITH version AS ({version})
SELECT version.tag, ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box),
       first_instant, last_instant
FROM version, (
    SELECT ST_Extent(geom) AS box,
           min({temporal_column}) AS first_instant,
           max({temporal_column}) AS last_instant
    FROM {table}
) AS extent
