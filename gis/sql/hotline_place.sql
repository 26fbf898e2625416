-- Place every staged hotline ticket at once: its district, its grid (the lowest code on
-- a shared border, as place_events.sql), and for a point in a gap between grids its
-- community or subdistrict. The polygons drive the join and the points are found through
-- a GiST index on them: each grid outline is then tested against its own points in a
-- row, which lets PostGIS prepare it once (an index on the grids, probed per point,
-- would hand GEOS a different outline at every call: about 6 times slower).
-- Room for the sort and the grouping of a million rows without spilling to disk.
SET LOCAL work_mem = '256MB';
CREATE INDEX hotline_staging_geom_idx ON hotline_staging USING gist (geom);
ANALYZE hotline_staging;

CREATE TEMP TABLE hotline_placed ON COMMIT DROP AS
WITH in_grid AS (
    SELECT s.row_no, min(g.grid_code) AS grid_code
    FROM grids AS g
    JOIN hotline_staging AS s ON ST_Intersects(g.geom, s.geom)
    GROUP BY s.row_no
)
-- A point in a grid lies in the grid's district; only the others are looked up.
SELECT s.row_no, coalesce(grid.county_code, district.county_code) AS county_code,
       in_grid.grid_code,
       coalesce(grid.community_code, community.community_code) AS community_code,
       coalesce(left(grid.community_code, 9), left(community.community_code, 9),
                subdistrict.subdistrict_code) AS subdistrict_code
FROM hotline_staging AS s
LEFT JOIN in_grid USING (row_no)
LEFT JOIN grids AS grid ON grid.grid_code = in_grid.grid_code
LEFT JOIN LATERAL (
    SELECT districts.county_code FROM districts
    WHERE in_grid.grid_code IS NULL AND ST_Intersects(districts.geom, s.geom)
    ORDER BY districts.county_code LIMIT 1
) AS district ON true
-- The few points in a gap between grids still get their community and subdistrict.
LEFT JOIN LATERAL (
    SELECT communities.community_code FROM communities
    WHERE in_grid.grid_code IS NULL AND ST_Intersects(communities.geom, s.geom)
    ORDER BY communities.community_code LIMIT 1
) AS community ON true
LEFT JOIN LATERAL (
    SELECT subdistricts.subdistrict_code FROM subdistricts
    WHERE in_grid.grid_code IS NULL AND community.community_code IS NULL
      AND ST_Intersects(subdistricts.geom, s.geom)
    ORDER BY subdistricts.subdistrict_code LIMIT 1
) AS subdistrict ON true;
