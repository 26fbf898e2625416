-- One row's figures by code, for property expressions evaluated per feature: a function
-- argument names the outer row's column unambiguously, whatever the table's alias is.
CREATE OR REPLACE FUNCTION grid_statistics_of(code bpchar) RETURNS grid_statistics
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT * FROM grid_statistics WHERE grid_code = code $$;
