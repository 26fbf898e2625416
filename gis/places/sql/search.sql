-- Places whose code starts with the query or whose name contains it, best first: exact
-- code or name, then prefix, then substring; then by level (county → unit) and code.
-- The matches are place_match.sql selects (by code range, by name) of each level searched;
-- a place found both ways appears once. Ancestors and boxes are looked up for the page.
SELECT coalesce(json_agg(json_build_object(
        'code', top.code,
        'level', top.level,
        'name', top.name,
        'path', coalesce((
            SELECT string_agg(coalesce(a.name, a.code), ' › ' ORDER BY length(a.code))
            FROM ({ancestors}) AS a (code, level, name)), ''),
        'bbox', json_build_array(
            round(ST_XMin(top.geom)::numeric, 7), round(ST_YMin(top.geom)::numeric, 7),
            round(ST_XMax(top.geom)::numeric, 7), round(ST_YMax(top.geom)::numeric, 7))
    ) ORDER BY top.match_rank, top.level_rank, top.code), '[]'::json)
FROM (
    SELECT * FROM (
        SELECT DISTINCT ON (found.code) found.*
        FROM ({matches}) AS found
        ORDER BY found.code
    ) AS matched
    ORDER BY matched.match_rank, matched.level_rank, matched.code
    LIMIT %(limit)s
) AS top
