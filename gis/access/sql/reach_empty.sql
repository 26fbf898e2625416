-- access_reach.sql's tables, empty: none of the sources' counties has a walking network,
-- so access_areas.sql draws straight-line circles for all of them.
DROP TABLE IF EXISTS pg_temp.access_snaps, pg_temp.access_virtual_edges,
    pg_temp.access_reached;
CREATE TEMP TABLE access_snaps (
    source_id bigint, k bigint, county_code char(6), geom geometry, edge_id bigint,
    u bigint, v bigint, length_m float8, frac float8, snap_m float8, snap_point geometry,
    edge_geom geometry, metric_srid int
) ON COMMIT DROP;
CREATE TEMP TABLE access_virtual_edges (
    k bigint, county_code char(6), edge_id bigint, source bigint, target bigint, length_m float8, geom geometry
) ON COMMIT DROP;
CREATE TEMP TABLE access_reached (k bigint, node bigint, walked_m float8) ON COMMIT DROP;
