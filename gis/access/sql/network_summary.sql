-- Size and connectedness of the walking network of each county asked for.
SELECT c.county_code::text AS county_code,
       (SELECT count(*) FROM walk_nodes AS n WHERE n.county_code = c.county_code) AS nodes,
       sum(c.edges)::bigint AS edges,
       count(*) AS components,
       sum(c.length_m) / 1000 AS length_km,
       max(c.edge_share) FILTER (WHERE c.largest) AS largest_component_share
FROM walk_components AS c
WHERE c.county_code = ANY(%(counties)s)
GROUP BY c.county_code
ORDER BY c.county_code
