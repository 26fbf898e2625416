"""Change counters: what changed where, so reads can be cached and validated.

- ``change_counters``: per county and table a version that only grows, bumped by
  statement-level triggers (gis/ogc/sql/functions/change_counters.sql) on every table an
  OGC collection reads. The OGC API turns a collection's counters into a strong ETag
  (gis/ogc/versions.py) and keys its cached extents and counts by them.

  A table's counter for a county is split into slots, one per writing connection (a
  session-level advisory lock hands each backend a slot of its own, freed when it
  disconnects); the version is the sum of the slots. Events are reported at hundreds a
  second by dozens of connections: one row per county would be updated by every report
  and held locked until its transaction commits, so the reports' commits would queue
  behind each other. With a slot per connection no writer ever waits for another, and a
  sum of counters that each only grow still changes with every commit.

  County 000000 (no such county) counts what touches every county at once: a TRUNCATE,
  or a change to a table without a county (the event categories). Every county's
  version includes it.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE change_counters (
    county_code      char(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    table_name       text NOT NULL,
    -- the writing connection's slot (see the module's docstring)
    slot             integer NOT NULL CHECK (slot >= 0),
    version          bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
    changed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, table_name, slot)
);
-- A collection's version over every county sums one table's rows across counties.
CREATE INDEX change_counters_table_idx ON change_counters (table_name);
-- Bumped hundreds of times a second: leave room on the page for HOT updates.
ALTER TABLE change_counters SET (fillfactor = 50);
"""

DOWNGRADE = r"""
DROP TABLE change_counters;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
