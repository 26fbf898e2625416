-- The staged edges (access_staging.sql) as pgRouting topology: nodes at their end points,
-- edges between them, each numbered from the real tables' sequences, and the connected
-- component of every node. Temporary tables, written by access_write_network.sql.

-- An edge whose points all lie at one place is no way to walk.
DELETE FROM walk_staging WHERE ST_Length(geom) = 0;

DROP TABLE IF EXISTS pg_temp.walk_new_nodes, pg_temp.walk_new_edges,
    pg_temp.walk_new_components;

-- One node per county and end-point key; an OpenStreetMap node id where there is one.
CREATE TEMP TABLE walk_new_nodes ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('walk_nodes', 'node_id')) AS node_id, points.*
FROM (
    SELECT DISTINCT ON (county_code, key_y, key_x)
           county_code, key_x, key_y, osm_node_id, geom
    FROM (
        SELECT county_code, start_x AS key_x, start_y AS key_y, source_osm AS osm_node_id,
               ST_StartPoint(geom) AS geom
        FROM walk_staging
        UNION ALL
        SELECT county_code, end_x, end_y, target_osm, ST_EndPoint(geom)
        FROM walk_staging
    ) AS ends
    ORDER BY county_code, key_y, key_x, osm_node_id
) AS points;
-- Temporary tables are never auto-analysed; without statistics the joins below would be
-- planned over guessed row counts. The join keys only: statistics of a geometry column
-- cost more than the rest of the table's together.
ANALYZE walk_new_nodes (county_code, key_x, key_y);

CREATE TEMP TABLE walk_new_edges ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('walk_edges', 'edge_id')) AS edge_id,
       s.county_code, a.node_id AS source, b.node_id AS target,
       ST_Length(s.geom::geography) AS length_m,
       s.osm_way_id, s.highway, s.name, s.geom
FROM walk_staging AS s
JOIN walk_new_nodes AS a
  ON a.county_code = s.county_code AND a.key_x = s.start_x AND a.key_y = s.start_y
JOIN walk_new_nodes AS b
  ON b.county_code = s.county_code AND b.key_x = s.end_x AND b.key_y = s.end_y;
ANALYZE walk_new_edges (edge_id, source);

-- Walking is undirected: the reverse cost is the cost.
CREATE TEMP TABLE walk_new_components ON COMMIT DROP AS
SELECT node, component
FROM pgr_connectedComponents(
    'SELECT edge_id AS id, source, target, length_m AS cost, length_m AS reverse_cost
     FROM walk_new_edges');
ANALYZE walk_new_components (node);
