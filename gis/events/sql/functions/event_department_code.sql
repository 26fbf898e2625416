-- The code of the department an event is dispatched to (the OGC events collection's
-- `department` property, whatever alias the feature queries give the table).
CREATE OR REPLACE FUNCTION event_department_code(department_id bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.department_code FROM departments AS d
    WHERE d.department_id = event_department_code.department_id
$$;
