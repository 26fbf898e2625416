-- A building without a compound id joins the stored compound of its community that
-- contains a point on its footprint, if any.
UPDATE import_staging s
SET attrs = s.attrs || jsonb_build_object('compound_id', (
        SELECT c.compound_id
        FROM compounds c
        WHERE c.community_code = s.parent_code::bpchar
          AND ST_Intersects(c.geom, ST_PointOnSurface(s.geom))
        ORDER BY c.compound_id
        LIMIT 1))
WHERE NOT s.attrs ? 'compound_id' AND s.parent_code IS NOT NULL
  AND s.geometry_problem IS NULL AND s.geom IS NOT NULL
