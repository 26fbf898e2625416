-- The blind spots of a period and scope (sql/functions/patrol_blind_spots.sql), with the
-- category's and the grid's names, by grid (events in no grid last) then time.
SELECT b.event_id, b.tracking_number, b.category_code, c.name AS category_name,
       b.reported_at, b.grid_code, g.name AS grid_name, b.radius_m,
       b.nearest_m AS nearest_patrol_m, b.nearest_at AS nearest_patrol_at
FROM patrol_blind_spots(%(start)s, %(end)s, %(scope)s, %(days)s, %(radius_m)s, %(nearest_m)s,
                        %(nearest_days)s) AS b
JOIN event_categories AS c ON c.category_code = b.category_code
LEFT JOIN grids AS g ON g.grid_code = b.grid_code
ORDER BY b.grid_code NULLS LAST, b.reported_at, b.event_id;
