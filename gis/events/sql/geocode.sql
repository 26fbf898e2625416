-- Places whose name the address contains: subdistricts, communities (named without the
-- committee suffix, as people write them: 福建园社区, 平丹村) and compounds, each with a
-- point on its surface. The caller keeps the most specific consistent match.
WITH address AS (SELECT %(address)s::text AS text)
SELECT 'subdistrict' AS level, rtrim(s.subdistrict_code) AS code, s.name,
       rtrim(s.subdistrict_code) AS subdistrict_code, NULL AS community_code,
       ST_X(ST_PointOnSurface(s.geom)) AS lon, ST_Y(ST_PointOnSurface(s.geom)) AS lat
FROM subdistricts AS s, address
WHERE char_length(s.name) >= 2 AND strpos(address.text, s.name) > 0
UNION ALL
SELECT 'community', rtrim(c.community_code), named.short_name,
       rtrim(c.subdistrict_code), rtrim(c.community_code),
       ST_X(ST_PointOnSurface(c.geom)), ST_Y(ST_PointOnSurface(c.geom))
FROM communities AS c
CROSS JOIN LATERAL (
    SELECT regexp_replace(c.name, '(居民委员会|村民委员会|居委会|村委会)$', '') AS short_name
) AS named, address
WHERE char_length(named.short_name) >= 2 AND strpos(address.text, named.short_name) > 0
UNION ALL
SELECT 'compound', p.compound_id::text, p.name,
       left(p.community_code, 9), rtrim(p.community_code),
       ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom))
FROM compounds AS p, address
WHERE char_length(p.name) >= 2 AND strpos(address.text, p.name) > 0
