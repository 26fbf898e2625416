-- Events counted per square cell of the Web Mercator plane, for a map zoomed out too far
-- to show each event: square cells (cell_size metres), counted from the plane's south-west
-- corner, so that a cell is the same on every request at its zoom and a pan never moves
-- one. Each cell is a GeoJSON Feature at the mean of its events' public points (where the
-- events are, not the cell's centre), with the box those points span and its counts:
-- events, overdue, escalated and per stage. Only public points are read, as the listing
-- reads them. Callers put the listing's WHERE (on e) in {where}.
--
-- One pass: counted per cell and stage, then the stages of a cell folded into it. The
-- point's Web Mercator coordinates are EPSG:3857's own formulas on the sphere of radius
-- 6378137 m (x = Rλ, y = R ln tan(π/4 + φ/2)), which is what ST_Transform computes, without
-- a transformation a point. Both steps are MATERIALIZED: inlined, the public point's long
-- expression would be worked out again for every column and key that reads it.
WITH shown AS MATERIALIZED (
    SELECT ST_X(point) AS lng, ST_Y(point) AS lat, status, overdue, escalation_level
    FROM (
        SELECT event_public_point(e.geom) AS point, e.status, e.overdue, e.escalation_level
        FROM events AS e
        {where}
    ) AS event_point
),
per_stage AS MATERIALIZED (
    SELECT floor((6378137 * radians(lng) + 20037508.342789244) / %(cell_size)s)::bigint
               AS column_index,
           floor((6378137 * ln(tan(pi() / 4 + radians(lat) / 2)) + 20037508.342789244)
                 / %(cell_size)s)::bigint AS row_index,
           status,
           count(*) AS events,
           count(*) FILTER (WHERE overdue) AS overdue,
           count(*) FILTER (WHERE escalation_level > 0) AS escalated,
           sum(lng) AS lng_sum, sum(lat) AS lat_sum,
           min(lng) AS west, min(lat) AS south, max(lng) AS east, max(lat) AS north
    FROM shown
    GROUP BY 1, 2, status
)
SELECT json_build_object(
           'type', 'Feature',
           'id', concat_ws('/', %(zoom)s, column_index, row_index),
           'bbox', json_build_array(round(min(west)::numeric, 6), round(min(south)::numeric, 6),
                                    round(max(east)::numeric, 6), round(max(north)::numeric, 6)),
           'geometry', json_build_object(
               'type', 'Point',
               'coordinates', json_build_array(round((sum(lng_sum) / sum(events))::numeric, 6),
                                               round((sum(lat_sum) / sum(events))::numeric, 6))),
           'properties', json_build_object(
               'events', sum(events),
               'overdue', sum(overdue),
               'escalated', sum(escalated),
               'stages', json_object_agg(status, events ORDER BY status)))
FROM per_stage
GROUP BY column_index, row_index
ORDER BY sum(events) DESC, column_index, row_index
