-- Put the events that pointed at the community's old base grids into the new grid that
-- covers their point; a point on a shared boundary goes to the lowest grid code, and a
-- point that no grid covers (a report just outside the community) to the nearest grid,
-- so every event that had a grid keeps one.
UPDATE events AS e
SET grid_code = placed.grid_code,
    community_code = placed.community_code,
    subdistrict_code = left(placed.community_code, 9)
FROM (
    SELECT moved.event_id, g.grid_code, g.community_code, g.covers
    FROM events AS moved
    CROSS JOIN LATERAL (
        SELECT grids.grid_code, grids.community_code,
               ST_Intersects(grids.geom, moved.geom) AS covers
        FROM grids
        WHERE grids.community_code = %(community_code)s
        ORDER BY ST_Intersects(grids.geom, moved.geom) DESC,
                 ST_Distance(grids.geom, moved.geom),
                 grids.grid_code
        LIMIT 1
    ) AS g
    WHERE moved.event_id = ANY(%(event_ids)s)
) AS placed
WHERE e.event_id = placed.event_id
RETURNING e.event_id, placed.covers
