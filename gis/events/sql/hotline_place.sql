-- Place every staged hotline ticket at once: its grid (the lowest code on a shared
-- border, as place_events.sql), and from the grid code its community (12 digits),
-- subdistrict (9) and county (6) — the one code system makes those joins unnecessary.
-- The polygons drive the join and the points are found through a GiST index on them:
-- each grid outline is then tested against its own points in a row, which lets PostGIS
-- prepare it once (an index on the grids, probed per point, would hand GEOS a different
-- outline at every call: about 6 times slower).
-- Room for the grouping of a million rows without spilling to disk.
SET LOCAL work_mem = '256MB';
CREATE INDEX hotline_staging_geom_idx ON hotline_staging USING gist (geom);
ANALYZE hotline_staging;

CREATE UNLOGGED TABLE hotline_placed AS
SELECT in_grid.row_no, in_grid.grid_code,
       left(in_grid.grid_code, 6) AS county_code,
       left(in_grid.grid_code, 12) AS community_code,
       left(in_grid.grid_code, 9) AS subdistrict_code
FROM (
    -- LATERAL … OFFSET 0 keeps the grids driving: left to a plain join, the planner
    -- turned it at city scale (6,764 grids) and probed the grids' index per point,
    -- 1 M points in 30 s instead of 5 s (bench/bench_points.py).
    SELECT s.row_no, min(g.grid_code) AS grid_code
    FROM grids AS g
    CROSS JOIN LATERAL (
        SELECT s.row_no FROM hotline_staging AS s WHERE ST_Intersects(g.geom, s.geom) OFFSET 0
    ) AS s
    GROUP BY s.row_no
) AS in_grid;

-- The few points in no grid: their district, and their community or subdistrict when
-- they lie in a gap between grids; outside every district the county stays NULL and
-- the import is refused. Looked for only when some point is unplaced: the search for
-- them (an anti-join over every point) cost 1.5 s for a million points all in grids, the
-- counts 0.2 s, and a condition on no row is tested once, before the join runs.
INSERT INTO hotline_placed (row_no, grid_code, county_code, community_code, subdistrict_code)
SELECT s.row_no, NULL, district.county_code, community.community_code,
       coalesce(left(community.community_code, 9), subdistrict.subdistrict_code)
FROM hotline_staging AS s
LEFT JOIN LATERAL (
    SELECT districts.county_code FROM districts
    WHERE ST_Intersects(districts.geom, s.geom)
    ORDER BY districts.county_code LIMIT 1
) AS district ON true
LEFT JOIN LATERAL (
    SELECT communities.community_code FROM communities
    WHERE ST_Intersects(communities.geom, s.geom)
    ORDER BY communities.community_code LIMIT 1
) AS community ON true
LEFT JOIN LATERAL (
    SELECT subdistricts.subdistrict_code FROM subdistricts
    WHERE community.community_code IS NULL AND ST_Intersects(subdistricts.geom, s.geom)
    ORDER BY subdistricts.subdistrict_code LIMIT 1
) AS subdistrict ON true
WHERE (SELECT count(*) FROM hotline_placed) < (SELECT count(*) FROM hotline_staging)
  AND NOT EXISTS (SELECT FROM hotline_placed AS p WHERE p.row_no = s.row_no);
