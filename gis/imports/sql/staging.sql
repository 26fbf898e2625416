-- The staging table of one import: every record of the file, in file order, checked
-- here before anything touches the target table. Dropped with the transaction.
CREATE TEMP TABLE import_staging (
    ord              integer PRIMARY KEY,   -- position in the file, 0-based
    label            text NOT NULL,         -- features[3], row 5, fid 12 ...
    key              text,                  -- own code or id; NULL until matched/assigned
    parent_table     text,
    parent_code      text,                  -- NULL with a parent_table: derive from geometry
    name             text,
    attrs            jsonb NOT NULL,
    geom             geometry(Geometry, 4326),
    geometry_problem text,                  -- set by the geometry checks
    repaired_from    text,                  -- ST_IsValidReason before --repair
    matched          boolean NOT NULL DEFAULT false,  -- key taken from an existing row
    assigned         boolean NOT NULL DEFAULT false   -- key assigned by the import
) ON COMMIT DROP
