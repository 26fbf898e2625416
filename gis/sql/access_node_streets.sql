-- The demo's streets as staged walking edges (access_staging.sql). The demo's streets are
-- the edges of its street lattice: they meet only at their end points, where the staging
-- keys make them share a node, so no street needs cutting (tests/gis/
-- test_walking_network.py checks that no street's interior meets another street).
INSERT INTO walk_staging (county_code, highway, name, geom)
SELECT county_code, street_class, name, geom
FROM streets;
