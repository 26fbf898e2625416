-- The service centres of a place, each against its level's standard (access/standards.sql,
-- standards): for an area (subdistrict, community, grid, compound) the centres inside
-- its outline; for a building those whose walking area of %(minutes)s minutes reaches it.
-- place is one row holding the place's geometry (geom) and whether it is a building.
WITH place AS ({place}),
judged AS ({standards})
SELECT coalesce(json_agg(json_build_object(
           'id', j.center_id, 'name', j.name, 'level', j.level, 'area_m2', j.area_m2,
           'required_m2', j.required_m2, 'shortfall_m2', j.shortfall_m2,
           'meets_area', j.required_m2 IS NULL OR j.area_m2 >= j.required_m2,
           'missing_rooms', j.missing_rooms, 'rooms', j.rooms)
           ORDER BY j.center_id), '[]'::json)
FROM judged AS j
JOIN service_centers AS c USING (center_id)
CROSS JOIN place
WHERE CASE WHEN place.is_building
           THEN EXISTS (SELECT 1 FROM service_areas AS a
                        WHERE a.center_id = c.center_id AND a.minutes = %(minutes)s
                          AND ST_Intersects(a.geom, place.geom))
           ELSE ST_Intersects(place.geom, c.geom) END
