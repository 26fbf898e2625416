"""Buildings keep their GeoJSON properties as written: a page of features reads them.

A page of a thousand buildings (OGC API Features, the map's building layer) spent a third
to a half of its time in the database writing each building's properties as JSON: ten
values a building, the codes trimmed, every string escaped, on every request. They change
only when the building's row does. So each row now keeps them, already written, in the
stored generated column ``feature_properties`` (text, the JSON object the features API
serves): PostgreSQL writes it when the row is written, so it cannot disagree with the
row, and a page joins the texts as they are (gis/ogc/features.py, KEPT_PROPERTIES).

A generated column may only call immutable functions. ``json_build_object`` is marked
stable because some types' output depends on settings (dates, time zones); none of a
building's values is such a type (text, integers), so the function writing them,
``building_feature_properties``, is declared immutable. It is the registry's expression
for the buildings (gis/ogc/collections.py) as of this migration; a test holds the kept
text equal to the registry's, row for row, so a later change of the registry comes with
a migration of its own.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION building_feature_properties(
            building_code char(17), community_code char(12), county_code char(6),
            compound_id bigint, name text, building_use text, floors smallint,
            units smallint, households integer, population integer
        ) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN json_build_object(
            'building_code', rtrim(building_code),
            'community_code', rtrim(community_code),
            'county_code', rtrim(county_code),
            'compound_id', compound_id,
            'name', name,
            'building_use', building_use,
            'floors', floors,
            'units', units,
            'households', households,
            'population', population
        )::text
        """
    )
    op.execute(
        """
        ALTER TABLE buildings ADD COLUMN feature_properties text GENERATED ALWAYS AS (
            building_feature_properties(
                building_code, community_code, county_code, compound_id, name,
                building_use, floors, units, households, population
            )
        ) STORED
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE buildings DROP COLUMN feature_properties")
    op.execute("DROP FUNCTION building_feature_properties")
