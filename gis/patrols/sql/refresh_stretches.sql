-- Every stretch of the tracks of a county ('' for all) computed again, after grids were
-- redrawn or the placement rule changed: the old stretches go, the tracks' new ones come
-- from patrol_stretches_of, in one statement. Parameters: county.
WITH gone AS (
    DELETE FROM patrol_stretches WHERE county_code LIKE %(county)s || '%%'
    RETURNING 1
),
made AS (
    INSERT INTO patrol_stretches (county_code, track_id, team_id, grid_code, entered_at,
                                  left_at, inside_s, month)
    SELECT * FROM patrol_stretches_of(ARRAY(
        SELECT track_id FROM patrol_tracks WHERE county_code LIKE %(county)s || '%%'))
    RETURNING track_id
)
SELECT (SELECT count(*) FROM gone) AS removed, (SELECT count(*) FROM made) AS stretches,
       (SELECT count(DISTINCT track_id) FROM made) AS tracks;
