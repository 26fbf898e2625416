"""Tile outlines: each area's and building's outline as a vector tile of a zoom draws it.

A vector tile's cost is ST_AsMVTGeom: projecting an outline to Web Mercator, snapping it
to the tile's 4096-unit grid and making it valid again, about 15 µs a polygon, for every
feature of every tile built. The tiles where that adds up are the few zooms where one
tile holds thousands of features (the city's grids at zoom 10 to 13, its buildings at 15
and 16). For those zooms each row now keeps its outline as that zoom's tiles draw it: in
the zoom's own tile units (4096 a tile, from the north-west corner of the world, y down),
already snapped and valid. Every tile of the zoom shares that grid of units, so a tile
only moves the outline by its own corner, and clips the outlines that cross its edge
(gis/ogc/tiles.py, gis/ogc/sql/tiles/drawn_from_outline.sql).

The outlines are stored generated columns, ``tile_outline_z<zoom>``: PostgreSQL computes
them from the geometry when a row is written (and only then: an update leaving the
geometry alone leaves them alone), so they can never disagree with it. They carry no SRID
(tile units are no coordinate reference system). Each has a GiST index: a tile finds its
features by the outline it draws.

How an outline is made: ST_AsMVTGeom with the whole world (ST_TileEnvelope(0, 0, 0)) as
the bounds and 4096·2^zoom units across it, no buffer and no clipping: exactly what it
does for one tile, over all the zoom's tiles at once. Below zoom 12 the outline is first
simplified to a quarter of a unit, as the tiles built on the fly are.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The tables and the zooms whose tiles draw their rows from the kept outlines (the same
# as gis/ogc/tiles.py, OUTLINE_ZOOMS; a test holds the two together). Later migrations
# that change them add or drop columns of their own: this one stays as it ran.
OUTLINES = {
    "subdistricts": range(10, 14),
    "communities": range(10, 14),
    "grids": range(10, 14),
    "service_areas": range(10, 14),
    "buildings": range(15, 17),
}

# Half the width of Web Mercator's square, metres (EPSG:3857); units across a tile.
HALF_WORLD_M = 20037508.342789244
EXTENT = 4096
SIMPLIFY_BELOW_ZOOM = 12


def outline(zoom: int) -> str:
    """The SQL expression of a row's outline at ``zoom``, from its ``geom`` (EPSG:4326)."""
    projected = "ST_Transform(geom, 3857)"
    if zoom < SIMPLIFY_BELOW_ZOOM:
        quarter_unit_m = 2 * HALF_WORLD_M / (EXTENT * 2**zoom) / 4
        projected = f"ST_Simplify({projected}, {quarter_unit_m!r}, true)"
    units = EXTENT * 2**zoom
    return f"ST_SetSRID(ST_AsMVTGeom({projected}, ST_TileEnvelope(0, 0, 0), {units}, 0, false), 0)"


def upgrade() -> None:
    for table, zooms in OUTLINES.items():
        columns = ", ".join(
            f"ADD COLUMN tile_outline_z{zoom} geometry GENERATED ALWAYS AS ({outline(zoom)}) STORED"
            for zoom in zooms
        )
        op.execute(f"ALTER TABLE {table} {columns}")
        for zoom in zooms:
            op.execute(
                f"CREATE INDEX {table}_tile_outline_z{zoom}_idx"
                f" ON {table} USING gist (tile_outline_z{zoom})"
            )
        # the planner's statistics of the new columns now: no later change may prompt
        # autovacuum to gather them on a table that is seldom written (the city's grids),
        # and without them it takes a tile of thousands of grids for a handful
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    for table, zooms in OUTLINES.items():
        columns = ", ".join(f"DROP COLUMN tile_outline_z{zoom}" for zoom in zooms)
        op.execute(f"ALTER TABLE {table} {columns}")
