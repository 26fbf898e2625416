-- What a report of visits rests on: stretches of the period in grids that no longer exist
-- (grids redrawn since: onemap patrols refresh-visits), and tracks of the period whose
-- stretches were never computed. Parameters: start, end, scope.
SELECT
    (SELECT count(*) FROM patrol_stretches AS st
     WHERE st.entered_at >= %(start)s AND st.entered_at < %(end)s
       AND st.grid_code LIKE %(scope)s || '%%'
       AND NOT EXISTS (SELECT 1 FROM grids AS g WHERE g.grid_code = st.grid_code))
        AS stretches_in_lost_grids,
    (SELECT count(*) FROM patrol_tracks AS t
     WHERE t.started_at < %(end)s AND t.ended_at >= %(start)s
       AND t.county_code LIKE left(%(scope)s, 6) || '%%'
       AND NOT EXISTS (SELECT 1 FROM patrol_stretches AS st WHERE st.track_id = t.track_id)
       AND EXISTS (SELECT 1 FROM grids AS g
                   WHERE g.county_code = t.county_code AND ST_Intersects(g.geom, t.geom)))
        AS tracks_without_stretches;
