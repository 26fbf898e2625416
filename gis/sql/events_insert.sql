-- Store a new report placed in the grid, community and subdistrict that hold its point
-- (the same rule as place_events.sql: a point on a shared boundary goes to the lowest
-- code). A point in no district inserts nothing: the caller reports it as outside.
WITH point AS (
    SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom,
           coalesce(%(reported_at)s::timestamptz, now()) AS reported_at,
           nextval(pg_get_serial_sequence('events', 'event_id')) AS event_id
),
placed AS (
    SELECT point.*, district.county_code, grid.grid_code,
           coalesce(grid.community_code, community.community_code) AS community_code,
           coalesce(left(grid.community_code, 9), left(community.community_code, 9),
                    subdistrict.subdistrict_code) AS subdistrict_code
    FROM point
    JOIN LATERAL (
        SELECT districts.county_code FROM districts
        WHERE ST_Intersects(districts.geom, point.geom)
        ORDER BY districts.county_code LIMIT 1
    ) AS district ON true
    LEFT JOIN LATERAL (
        SELECT grids.grid_code, grids.community_code FROM grids
        WHERE ST_Intersects(grids.geom, point.geom)
        ORDER BY grids.grid_code LIMIT 1
    ) AS grid ON true
    -- A point in a gap between grids still gets its community and subdistrict.
    LEFT JOIN LATERAL (
        SELECT communities.community_code FROM communities
        WHERE grid.grid_code IS NULL AND ST_Intersects(communities.geom, point.geom)
        ORDER BY communities.community_code LIMIT 1
    ) AS community ON true
    LEFT JOIN LATERAL (
        SELECT subdistricts.subdistrict_code FROM subdistricts
        WHERE grid.grid_code IS NULL AND community.community_code IS NULL
          AND ST_Intersects(subdistricts.geom, point.geom)
        ORDER BY subdistricts.subdistrict_code LIMIT 1
    ) AS subdistrict ON true
)
INSERT INTO events (
    event_id, tracking_number, county_code, category_code, description, source, status,
    reported_at, grid_code, community_code, subdistrict_code, geom, reporter_name,
    reporter_phone, reporter_key_sha256, address, location_source, updated_at)
SELECT event_id, event_tracking_number(event_id, reported_at), county_code,
       %(category_code)s, %(description)s, %(source)s, 'reported', reported_at, grid_code,
       community_code, subdistrict_code, geom, %(reporter_name)s, %(reporter_phone)s,
       %(reporter_key_sha256)s, %(address)s, %(location_source)s, reported_at
FROM placed
RETURNING event_id, tracking_number, rtrim(county_code), reported_at
