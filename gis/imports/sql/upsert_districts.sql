-- Re-import: a stored district with the same code takes the file's name and outline.
-- Both statements read the table as it was before this one, so each row is either
-- updated or inserted.
WITH updated AS (
    UPDATE districts d SET name = s.name, geom = s.geom
    FROM import_staging s
    WHERE d.county_code = s.key::bpchar
    RETURNING 1
), inserted AS (
    INSERT INTO districts (county_code, name, geom)
    SELECT s.key, s.name, s.geom
    FROM import_staging s
    WHERE NOT EXISTS (SELECT 1 FROM districts d WHERE d.county_code = s.key::bpchar)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
