-- The communities a grid audit covers: one (by code) or all. An invalid outline is
-- repaired with ST_MakeValid so that one bad polygon cannot abort the audit with a GEOS
-- TopologyException (community outlines are not a grid finding).
CREATE TEMP TABLE audit_communities (
    community_code char(12) PRIMARY KEY,
    geom geometry NOT NULL
) ON COMMIT DROP;

INSERT INTO audit_communities
SELECT community_code,
       CASE WHEN ST_IsValid(geom) THEN geom ELSE ST_MakeValid(geom) END
FROM communities
WHERE %(community)s::bpchar IS NULL OR community_code = %(community)s::bpchar;

CREATE INDEX ON audit_communities USING gist (geom);

ANALYZE audit_communities;
