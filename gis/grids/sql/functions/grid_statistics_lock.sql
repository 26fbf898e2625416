-- Every maintenance step first takes this transaction-level advisory lock, so two
-- transactions changing buildings and grids at the same time apply their changes one
-- after the other, each seeing the other's committed rows (READ COMMITTED takes a new
-- snapshot per statement inside the trigger). The key is any constant; this one spells
-- "grid stats" in ASCII.
CREATE OR REPLACE FUNCTION grid_statistics_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(6776769646473747473) $$;
