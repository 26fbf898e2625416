-- Place events that have no grid yet in the grid (and so community and subdistrict) that
-- covers their point. A point on a shared boundary goes to the lowest grid code, so the
-- result never depends on the join order.
UPDATE events AS e
SET grid_code = placed.grid_code,
    community_code = placed.community_code,
    subdistrict_code = left(placed.community_code, 9)
FROM (
    SELECT unplaced.event_id, g.grid_code, g.community_code
    FROM events AS unplaced
    CROSS JOIN LATERAL (
        SELECT grids.grid_code, grids.community_code
        FROM grids
        WHERE ST_Intersects(grids.geom, unplaced.geom)
        ORDER BY grids.grid_code
        LIMIT 1
    ) AS g
    WHERE unplaced.grid_code IS NULL
) AS placed
WHERE e.event_id = placed.event_id;
