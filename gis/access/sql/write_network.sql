-- Replace the walking networks of the counties staged (access_build_network.sql) with
-- the new nodes and edges. Runs inside the import's one transaction: a reader sees the
-- old network or the new one, never a mixture.
DELETE FROM walk_edges
WHERE county_code IN (SELECT DISTINCT county_code FROM walk_new_nodes);
DELETE FROM walk_nodes
WHERE county_code IN (SELECT DISTINCT county_code FROM walk_new_nodes);

INSERT INTO walk_nodes (node_id, county_code, osm_node_id, component, geom)
SELECT n.node_id, n.county_code, n.osm_node_id, c.component, n.geom
FROM walk_new_nodes AS n
JOIN walk_new_components AS c ON c.node = n.node_id
ORDER BY n.node_id;

INSERT INTO walk_edges (edge_id, county_code, source, target, length_m, osm_way_id, highway,
                        name, component, geom)
SELECT e.edge_id, e.county_code, e.source, e.target, e.length_m, e.osm_way_id, e.highway,
       e.name, c.component, e.geom
FROM walk_new_edges AS e
JOIN walk_new_components AS c ON c.node = e.source
ORDER BY e.edge_id;

ANALYZE walk_nodes;
ANALYZE walk_edges;
-- the components' sizes, which service areas read to choose where a centre joins
REFRESH MATERIALIZED VIEW walk_components;
