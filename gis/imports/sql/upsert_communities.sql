WITH updated AS (
    UPDATE communities c SET name = s.name, kind = s.attrs->>'kind', geom = s.geom
    FROM import_staging s
    WHERE c.community_code = s.key::bpchar
    RETURNING 1
), inserted AS (
    INSERT INTO communities (community_code, subdistrict_code, county_code, name, kind, geom)
    SELECT s.key, left(s.key, 9), left(s.key, 6), s.name, s.attrs->>'kind', s.geom
    FROM import_staging s
    WHERE NOT EXISTS (SELECT 1 FROM communities c WHERE c.community_code = s.key::bpchar)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
