-- A service area's centre's level by its id: the service_areas collection's `level`
-- property and filter, whatever alias the feature queries give the table.
CREATE OR REPLACE FUNCTION service_center_level(center bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT level FROM service_centers WHERE center_id = center $$;
