-- A service area's centre's name by its id: the service_areas collection's `name`
-- property, whatever alias the feature queries give the table.
CREATE OR REPLACE FUNCTION service_center_name(center bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT name FROM service_centers WHERE center_id = center $$;
