"""Distributable by county: every key of a county's table carries county_code.

Citus (distributed PostgreSQL) can spread a table over nodes by a column only when each
primary key, unique constraint and unique index of that table includes the column, and a
foreign key between two such tables includes it on both sides, so that a row and the rows
it points at always live on the same node. onemap's distribution column is the county
(gis/distribution.py names the tables and docs/scaling.md the reasons), so:

- The primary keys of the county's tables become (their code or id, county_code). The
  code stays first, so a lookup by the code alone still walks the key's index.
- Unique keys likewise: a tracking number, an upload's source ordinal and a service
  area's id are unique within their county (each is unique overall by construction; the
  key now says what the database can check on one node).
- Foreign keys between them are composite: (grid_code, county_code) → grids(grid_code,
  county_code) and so on. A place, event or track therefore never points at a row of
  another county; a walking edge joins two nodes of its own county.
- grid_statistics.county_code was generated from the grid code; Citus distributes by no
  generated column, so it becomes a plain one, filled by refresh_grid_statistics and held
  to the grid code's first six digits by a CHECK (its subdistrict and community codes
  stay generated). Its foreign key to grids loses ON UPDATE CASCADE, which Citus refuses
  for a key holding the distribution column, and is checked at commit instead: a grid
  renumbered keeps its figures because the grids' trigger counts the new code and
  refresh_grid_statistics drops the old one's row before the commit. The downgrade makes
  the column generated again (PostgreSQL 15 can only add it anew, so it moves to the end
  of the table).
- community_statistics and subdistrict_statistics grouped by the primary key alone and so
  depended on it; they now group by the columns they show, which is the same result.

Reference tables (districts, departments, patrol teams, people and the access tables)
keep their keys: Citus replicates them whole to every node and sets no such rule.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# (table, the primary key's columns before this migration); county_code is appended.
PRIMARY_KEYS = [
    ("subdistricts", "subdistrict_code"),
    ("communities", "community_code"),
    ("grids", "grid_code"),
    ("compounds", "compound_id"),
    ("buildings", "building_code"),
    ("service_centers", "center_id"),
    ("streets", "street_id"),
    ("water_areas", "water_id"),
    ("walk_nodes", "node_id"),
    ("walk_edges", "edge_id"),
    ("service_areas", "center_id, minutes"),
    ("service_area_queue", "center_id"),
    ("grid_statistics", "grid_code"),
    ("events", "event_id"),
    ("event_history", "history_id"),
    ("event_photos", 'event_id, "position"'),
    ("idempotency_keys", "scope, idempotency_key"),
    ("patrol_uploads", "upload_id"),
    ("patrol_sources", "source_id"),
    ("patrol_tracks", "track_id"),
    ("patrol_stretches", "stretch_id"),
    ("patrol_track_chunks", "track_id, chunk"),
    ("patrol_coverage_queue", "track_id"),
    ("patrol_targets", "target_id"),
    ("patrolled_targets", "target_id, month"),
]

# (table, constraint, columns before): unique constraints; county_code is appended.
UNIQUE_KEYS = [
    ("events", "events_tracking_number_key", "tracking_number"),
    ("patrol_sources", "patrol_sources_upload_id_ordinal_key", "upload_id, ordinal"),
]

# (table, constraint, columns, referenced table, its columns, actions before, after):
# foreign keys between two tables distributed by county; county_code is appended on both
# sides.
FOREIGN_KEYS = [
    ("communities", "communities_subdistrict_code_fkey", "subdistrict_code",
     "subdistricts", "subdistrict_code", "", ""),
    ("grids", "grids_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("compounds", "compounds_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("buildings", "buildings_compound_id_fkey", "compound_id",
     "compounds", "compound_id", "", ""),
    ("buildings", "buildings_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("service_centers", "service_centers_compound_id_fkey", "compound_id",
     "compounds", "compound_id", "", ""),
    ("service_centers", "service_centers_subdistrict_code_fkey", "subdistrict_code",
     "subdistricts", "subdistrict_code", "", ""),
    ("service_centers", "service_centers_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("walk_edges", "walk_edges_source_fkey", "source", "walk_nodes", "node_id", "", ""),
    ("walk_edges", "walk_edges_target_fkey", "target", "walk_nodes", "node_id", "", ""),
    ("service_areas", "service_areas_center_id_fkey", "center_id",
     "service_centers", "center_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("service_area_queue", "service_area_queue_center_id_fkey", "center_id",
     "service_centers", "center_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("grid_statistics", "grid_statistics_grid_code_fkey", "grid_code", "grids", "grid_code",
     "ON UPDATE CASCADE ON DELETE CASCADE", "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"),
    ("events", "events_grid_code_fkey", "grid_code", "grids", "grid_code", "", ""),
    ("events", "events_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("events", "events_subdistrict_code_fkey", "subdistrict_code",
     "subdistricts", "subdistrict_code", "", ""),
    ("events", "events_duplicate_of_fkey", "duplicate_of", "events", "event_id", "", ""),
    ("event_history", "event_history_event_id_fkey", "event_id", "events", "event_id", "", ""),
    ("event_photos", "event_photos_event_id_fkey", "event_id", "events", "event_id", "", ""),
    ("idempotency_keys", "idempotency_keys_event_id_fkey", "event_id",
     "events", "event_id", "", ""),
    ("idempotency_keys", "idempotency_keys_upload_id_fkey", "upload_id",
     "patrol_uploads", "upload_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("patrol_sources", "patrol_sources_upload_id_fkey", "upload_id",
     "patrol_uploads", "upload_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("patrol_tracks", "patrol_tracks_source_id_fkey", "source_id",
     "patrol_sources", "source_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("patrol_tracks", "patrol_tracks_community_code_fkey", "community_code",
     "communities", "community_code", "", ""),
    ("patrol_stretches", "patrol_stretches_track_id_fkey", "track_id",
     "patrol_tracks", "track_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("patrol_track_chunks", "patrol_track_chunks_track_id_fkey", "track_id",
     "patrol_tracks", "track_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
    ("patrol_coverage_queue", "patrol_coverage_queue_track_id_fkey", "track_id",
     "patrol_tracks", "track_id", "ON DELETE CASCADE", "ON DELETE CASCADE"),
]  # fmt: skip

# The statistics views, grouped by the columns they show rather than by a primary key
# (a view grouped by a key depends on it, and the key is about to change).
VIEWS_BY_COLUMNS = r"""
CREATE OR REPLACE VIEW community_statistics AS
SELECT c.community_code, c.subdistrict_code, c.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM communities c LEFT JOIN grid_statistics s ON s.community_code = c.community_code
GROUP BY c.community_code, c.subdistrict_code, c.county_code;

CREATE OR REPLACE VIEW subdistrict_statistics AS
SELECT d.subdistrict_code, d.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM subdistricts d LEFT JOIN grid_statistics s ON s.subdistrict_code = d.subdistrict_code
GROUP BY d.subdistrict_code, d.county_code;
"""

# As 0003 made them: grouped by the (single-column) primary key.
VIEWS_BY_KEY = r"""
CREATE OR REPLACE VIEW community_statistics AS
SELECT c.community_code, c.subdistrict_code, c.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM communities c LEFT JOIN grid_statistics s ON s.community_code = c.community_code
GROUP BY c.community_code;

CREATE OR REPLACE VIEW subdistrict_statistics AS
SELECT d.subdistrict_code, d.county_code,
       count(s.grid_code)::integer AS grids,
       coalesce(sum(s.households), 0)::integer AS households,
       coalesce(sum(s.population), 0)::integer AS population,
       coalesce(sum(s.buildings), 0)::integer AS buildings,
       coalesce(sum(s.compounds), 0)::integer AS compounds
FROM subdistricts d LEFT JOIN grid_statistics s ON s.subdistrict_code = d.subdistrict_code
GROUP BY d.subdistrict_code;
"""


def _with_county(columns: str) -> str:
    return f"{columns}, county_code"


def _rekey(*, by_county: bool) -> str:
    """The DDL that moves every key to (by_county) or from the county's columns."""

    def cols(columns: str) -> str:
        return _with_county(columns) if by_county else columns

    statements = []
    # Foreign keys first: a key that another table references cannot be dropped.
    statements += [f"ALTER TABLE {t} DROP CONSTRAINT {name};" for t, name, *_ in FOREIGN_KEYS]
    for table, columns in PRIMARY_KEYS:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey;",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({cols(columns)});",
        ]
    for table, name, columns in UNIQUE_KEYS:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {name};",
            f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({cols(columns)});",
        ]
    statements += [
        "DROP INDEX service_areas_area_id_key;",
        f"CREATE UNIQUE INDEX service_areas_area_id_key ON service_areas ({cols('area_id')});",
    ]
    for table, name, columns, target, target_columns, before, after in FOREIGN_KEYS:
        actions = after if by_county else before
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({cols(columns)})"
            f" REFERENCES {target} ({cols(target_columns)}) {actions};"
        )
    return "\n".join(statements)


# Citus cannot distribute by a generated column.
COUNTY_COLUMN_PLAIN = r"""
ALTER TABLE grid_statistics ALTER COLUMN county_code DROP EXPRESSION;
ALTER TABLE grid_statistics ALTER COLUMN county_code SET NOT NULL;
ALTER TABLE grid_statistics ADD CONSTRAINT grid_statistics_county_code_check
    CHECK (county_code = left(grid_code, 6));
"""

COUNTY_COLUMN_GENERATED = r"""
ALTER TABLE grid_statistics DROP COLUMN county_code;
ALTER TABLE grid_statistics ADD COLUMN county_code character(6)
    GENERATED ALWAYS AS (left(grid_code, 6)) STORED;
"""


def upgrade() -> None:
    op.execute(VIEWS_BY_COLUMNS)
    op.execute(COUNTY_COLUMN_PLAIN)
    op.execute(_rekey(by_county=True))


def downgrade() -> None:
    op.execute(_rekey(by_county=False))
    op.execute(COUNTY_COLUMN_GENERATED)
    op.execute(VIEWS_BY_KEY)
