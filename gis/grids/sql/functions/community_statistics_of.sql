-- A community's figures by code (see grid_statistics_of.sql).
CREATE OR REPLACE FUNCTION community_statistics_of(code bpchar) RETURNS community_statistics
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT * FROM community_statistics WHERE community_code = code $$;
