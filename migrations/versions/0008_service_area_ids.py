"""Service areas as OGC API features: one id per area, ``area_id`` = centre id × 100 +
minutes (centre 7's 15-minute area is 715), so a feature's id says whose area it is and
how far it reaches and stays the same when the area is recomputed. (The centre's name
and level by its id, for the collection's properties and its ``level=`` filter, are
functions in gis/access/sql/functions/.)

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE service_areas
    ADD COLUMN area_id bigint GENERATED ALWAYS AS (center_id * 100 + minutes) STORED;
-- minutes stay below 100 (CHECK 1–60), so ids never collide
CREATE UNIQUE INDEX service_areas_area_id_key ON service_areas (area_id);
"""

DOWNGRADE = """
ALTER TABLE service_areas DROP COLUMN IF EXISTS area_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
