-- The grids of a scope (a code prefix; '' for everything) with their kind and the visit
-- standard of that kind in their county, the defaults where the county has set none.
-- Parameters: scope, and the defaults min_visits, min_hours, visit_minutes, grace_seconds,
-- stale_days.
SELECT g.grid_code, g.name, g.community_code, cm.name AS community_name,
       left(g.grid_code, 9) AS subdistrict_code, sd.name AS subdistrict_name,
       coalesce(g.dedicated_kind, g.grid_type) AS grid_kind,
       coalesce(s.min_visits, %(min_visits)s) AS min_visits,
       coalesce(s.min_hours, %(min_hours)s)::float8 AS min_hours,
       coalesce(s.visit_minutes, %(visit_minutes)s) AS visit_minutes,
       coalesce(s.grace_seconds, %(grace_seconds)s) AS grace_seconds,
       coalesce(s.stale_days, %(stale_days)s) AS stale_days,
       s.county_code IS NULL AS defaulted
FROM grids AS g
LEFT JOIN communities AS cm ON cm.community_code = g.community_code
LEFT JOIN subdistricts AS sd ON sd.subdistrict_code = left(g.grid_code, 9)
LEFT JOIN patrol_standards AS s
       ON s.county_code = g.county_code AND s.grid_kind = coalesce(g.dedicated_kind, g.grid_type)
WHERE g.grid_code LIKE %(scope)s || '%%'
ORDER BY g.grid_code;
