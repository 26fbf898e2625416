-- Every grid, its outline repaired when invalid (the invalid ones are reported by their
-- own check), flagged in_scope when its code names the audited community (every grid
-- when the whole database is audited). Grids of other communities stay in the table:
-- they may cover the audited community's ground or overlap its grids.
CREATE TEMP TABLE audit_grids (
    grid_code char(15) PRIMARY KEY,
    community_code char(12) NOT NULL,
    grid_type text NOT NULL,
    leaders smallint NOT NULL,
    members smallint NOT NULL,
    valid boolean NOT NULL,
    in_scope boolean NOT NULL,
    geom geometry NOT NULL
) ON COMMIT DROP;

INSERT INTO audit_grids
SELECT grid_code, community_code, grid_type, leaders, members, ST_IsValid(geom),
       %(community)s::bpchar IS NULL OR community_code = %(community)s::bpchar,
       CASE WHEN ST_IsValid(geom) THEN geom ELSE ST_MakeValid(geom) END
FROM grids;

CREATE INDEX ON audit_grids USING gist (geom);

ANALYZE audit_grids;
