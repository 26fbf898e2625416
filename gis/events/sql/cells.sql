-- Events counted per square cell of the Web Mercator plane, for a map zoomed out too far
-- to show each event: square cells (cell_size metres), counted from the plane's south-west
-- corner, so that a cell is the same on every request at its zoom and a pan never moves
-- one. Each cell is a GeoJSON Feature at the mean of its events' public points (where the
-- events are, not the cell's centre), with the box those points span and its counts:
-- events, overdue, escalated and per stage. Only public points are read, as the listing
-- reads them. Callers put the listing's WHERE (on e) in {where}.
WITH placed AS (
    SELECT floor((ST_X(mercator) + 20037508.342789244) / %(cell_size)s)::bigint AS column_index,
           floor((ST_Y(mercator) + 20037508.342789244) / %(cell_size)s)::bigint AS row_index,
           shown, status, overdue, escalation_level
    FROM (
        SELECT event_public_point(e.geom) AS shown,
               ST_Transform(event_public_point(e.geom), 3857) AS mercator,
               e.status, e.overdue, e.escalation_level
        FROM events AS e
        {where}
    ) AS event_point
),
stages AS (
    SELECT column_index, row_index, json_object_agg(status, events ORDER BY status) AS stages
    FROM (
        SELECT column_index, row_index, status, count(*) AS events
        FROM placed
        GROUP BY column_index, row_index, status
    ) AS per_stage
    GROUP BY column_index, row_index
)
SELECT json_build_object(
           'type', 'Feature',
           'id', concat_ws('/', %(zoom)s, cell.column_index, cell.row_index),
           'bbox', json_build_array(round(ST_XMin(cell.extent)::numeric, 6),
                                    round(ST_YMin(cell.extent)::numeric, 6),
                                    round(ST_XMax(cell.extent)::numeric, 6),
                                    round(ST_YMax(cell.extent)::numeric, 6)),
           'geometry', ST_AsGeoJSON(cell.middle, 6)::json,
           'properties', json_build_object(
               'events', cell.events,
               'overdue', cell.overdue,
               'escalated', cell.escalated,
               'stages', stages.stages))
FROM (
    SELECT column_index, row_index,
           count(*) AS events,
           count(*) FILTER (WHERE overdue) AS overdue,
           count(*) FILTER (WHERE escalation_level > 0) AS escalated,
           ST_Centroid(ST_Collect(shown)) AS middle,
           ST_Extent(shown)::geometry AS extent
    FROM placed
    GROUP BY column_index, row_index
) AS cell
JOIN stages USING (column_index, row_index)
ORDER BY cell.events DESC, cell.column_index, cell.row_index
