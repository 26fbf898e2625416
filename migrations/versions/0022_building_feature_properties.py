"""Buildings keep their feature properties: the JSON text a page of buildings serves.

A page of 1,000 buildings from the features API spends about half its database time
writing each building's properties object (json_build_object over ten columns, 5 of
10.8 ms at district scale). Buildings are read page after page by every map and client
and written seldom, so each row now keeps that text, ``feature_properties``, and a page
reads it as it is (gis/ogc/features.py).

A stored generated column would be the natural form, but its expression would have to
be immutable and json_build_object is not, and a project function in its place would tie
the column to the function files that ``onemap migrate`` applies after the migrations and
drops before a downgrade (app/commands/migrate.py). So the column is plain, and the
function file gis/ogc/sql/functions/building_feature_properties.sql keeps it: a BEFORE
INSERT OR UPDATE trigger writes it for every row written, and the file fills the rows
already there when it is applied (and again whenever its text, so the properties,
changes).

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE buildings ADD COLUMN feature_properties text")
    op.execute(
        "COMMENT ON COLUMN buildings.feature_properties IS"
        " 'the building''s properties as the features API serves them (JSON text),"
        " kept by the trigger building_feature_properties'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE buildings DROP COLUMN feature_properties")
