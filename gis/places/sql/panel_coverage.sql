-- The households of a compound's buildings, or of one building, and those inside some
-- centre's walking area of %(minutes)s minutes (a building counts where its point lies).
SELECT coalesce(sum(b.households), 0) AS households,
       coalesce(sum(b.households) FILTER (WHERE EXISTS (
           SELECT 1 FROM service_areas AS a
           WHERE a.minutes = %(minutes)s AND ST_Intersects(a.geom, b.point))), 0)
           AS covered_households
FROM buildings AS b
WHERE b.building_code = %(building)s::bpchar OR b.compound_id = %(compound_id)s::bigint
