-- The inputs of a service-area computation (access_reach.sql, access_areas.sql): the
-- points to walk from, the times and distances, the band width. Filled by the caller;
-- temporary, gone at commit.
DROP TABLE IF EXISTS pg_temp.access_sources, pg_temp.access_distances,
    pg_temp.access_parameters;
CREATE TEMP TABLE access_sources (
    source_id    bigint PRIMARY KEY,
    county_code  char(6) NOT NULL,
    geom         geometry(Point, 4326) NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE access_distances (
    minutes      smallint PRIMARY KEY,
    distance_m   double precision NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE access_parameters (
    reach_m      double precision NOT NULL,
    buffer_m     double precision NOT NULL
) ON COMMIT DROP;
