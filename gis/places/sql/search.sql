-- Places whose code starts with the query or whose name contains it, and compounds whose
-- id is the query or whose name contains it, best first: exact code, id or name, then
-- prefix, then substring; then by level (county → grid, compound, building → unit) and
-- code (a level's codes share one length, so compounds' ids sort as numbers). The
-- matches are match.sql selects (by code range, by name) of each level searched; a place
-- found both ways appears once. Ancestors and boxes are looked up for the page: a place's
-- path is its parent code's ancestors, and a compound's also its community (its parent).
SELECT coalesce(json_agg(json_build_object(
        'code', top.code,
        'level', top.level,
        'name', top.name,
        'path', coalesce((
            SELECT string_agg(coalesce(a.name, a.code), ' › ' ORDER BY length(a.code))
            FROM ({ancestors}
                  UNION ALL
                  SELECT community_code::text, 'community', name
                  FROM communities
                  WHERE top.level = 'compound'
                    AND community_code = top.parent::char(12)) AS a (code, level, name)), ''),
        'bbox', json_build_array(
            round(ST_XMin(top.geom)::numeric, 7), round(ST_YMin(top.geom)::numeric, 7),
            round(ST_XMax(top.geom)::numeric, 7), round(ST_YMax(top.geom)::numeric, 7))
    ) ORDER BY top.match_rank, top.level_rank, length(top.code), top.code), '[]'::json)
FROM (
    SELECT * FROM (
        SELECT DISTINCT ON (found.level, found.code) found.*
        FROM ({matches}) AS found
        ORDER BY found.level, found.code, found.match_rank
    ) AS matched
    ORDER BY matched.match_rank, matched.level_rank, length(matched.code), matched.code
    LIMIT %(limit)s
) AS top
