"""Grid statistics kept current: households, population, buildings and compounds per
grid, summed per community and subdistrict.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The table is kept current by statement-level triggers on buildings, compounds and
# grids, and can be recomputed by refresh_grid_statistics(); the placement rule and the
# triggers live in gis/grids/sql/functions/ and are applied by `onemap migrate` after the
# versioned migrations.
#
# Communities and subdistricts are the sums of their grids (by the grid code's prefix),
# so the figures add up level by level; buildings that no grid holds are not counted in
# any community — the audit reports them as stray.
UPGRADE = r"""
CREATE TABLE grid_statistics (
    grid_code        char(15) PRIMARY KEY
                     REFERENCES grids ON UPDATE CASCADE ON DELETE CASCADE,
    county_code      char(6)  GENERATED ALWAYS AS (left(grid_code, 6)) STORED,
    subdistrict_code char(9)  GENERATED ALWAYS AS (left(grid_code, 9)) STORED,
    community_code   char(12) GENERATED ALWAYS AS (left(grid_code, 12)) STORED,
    households       integer NOT NULL DEFAULT 0,
    population       integer NOT NULL DEFAULT 0,
    buildings        integer NOT NULL DEFAULT 0,
    compounds        integer NOT NULL DEFAULT 0
);
CREATE INDEX grid_statistics_community_idx ON grid_statistics (community_code);
CREATE INDEX grid_statistics_subdistrict_idx ON grid_statistics (subdistrict_code);

-- Communities and subdistricts: sums over their grids, so every level adds up.
CREATE VIEW community_statistics AS
SELECT c.community_code, c.subdistrict_code, c.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM communities AS c
LEFT JOIN grid_statistics AS s ON s.community_code = c.community_code
GROUP BY c.community_code;

CREATE VIEW subdistrict_statistics AS
SELECT d.subdistrict_code, d.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM subdistricts AS d
LEFT JOIN grid_statistics AS s ON s.subdistrict_code = d.subdistrict_code
GROUP BY d.subdistrict_code;
"""

DOWNGRADE = """
DROP VIEW IF EXISTS community_statistics, subdistrict_statistics;
DROP TABLE IF EXISTS grid_statistics;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
