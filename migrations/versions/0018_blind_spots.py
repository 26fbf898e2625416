"""Blind spots: which patrols passed near a place in a window of time, in one index probe.

- ``patrol_track_chunks_geom_during_idx``: a GiST index over a chunk's line in EPSG:4545
  and the time it spans (``tstzrange`` has its own GiST operator class: no btree_gist).
  A blind spot is an event no chunk within R metres was walked near in the days before
  it (gis/patrols/sql/functions/patrol_blind_spots.sql): ``ST_DWithin(geom_4545, …)``
  and ``during && window`` are both answered inside the index, so a street patrolled
  every evening for a year does not hand the query a year of chunks to filter by time.
  The index on the line alone (0017) stays for the coverage counts, which ask by place.

The events need no index of their own for this: the query starts from the events of the
period (``events_reported_at_idx``) and probes the chunks with each event's point, so an
index on the events' points in EPSG:4545 would never be read.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE INDEX patrol_track_chunks_geom_during_idx ON patrol_track_chunks
    USING gist (geom_4545, during);
"""

DOWNGRADE = r"""
DROP INDEX patrol_track_chunks_geom_during_idx;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
