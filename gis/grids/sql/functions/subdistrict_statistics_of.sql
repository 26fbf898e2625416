-- A subdistrict's figures by code (see grid_statistics_of.sql).
CREATE OR REPLACE FUNCTION subdistrict_statistics_of(code bpchar)
RETURNS subdistrict_statistics
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT * FROM subdistrict_statistics WHERE subdistrict_code = code $$;
