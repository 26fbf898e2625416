-- The areas of a level: grids, communities or subdistricts, each with its code and name.
-- table and code_column are whitelisted identifiers (gis/indicators/areas.py).
SELECT rtrim({code_column}) AS code, name FROM {table}
