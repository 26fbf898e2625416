"""Planners' scenario layers: GeoDataFrames a notebook writes back to the database (suggested
sites, a redrawn grid, a what-if centre), kept apart from the district's own places in the
``scenario`` schema so that no import, audit or coverage figure ever counts them.

GeoPandas writes them through SQLAlchemy and GeoAlchemy2, which declares the geometry column
with its SRID and gives it a GiST index, as every geometry column in onemap has::

    from gis import scenarios
    scenarios.save_layer(sites_frame, "new_centres_2027", replace=True)
    again = scenarios.read_layer("new_centres_2027")
"""

from __future__ import annotations

import re

import geopandas as gpd
import sqlalchemy

from gis.crs import STORAGE_SRID
from gis.db import sqlalchemy_url
from gis.errors import InvalidParameter

SCHEMA = "scenario"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidParameter(
            "name",
            f"{name!r} is not a layer name: use lower-case letters, digits and _ "
            "(at most 63, starting with a letter)",
        )
    return name


def _engine(dsn: str | None) -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(sqlalchemy_url(dsn))


def save_layer(
    frame: gpd.GeoDataFrame, name: str, *, dsn: str | None = None, replace: bool = False
) -> int:
    """Write ``frame`` as the scenario layer ``scenario.<name>``; return its row count.

    Parameters
    ----------
    frame : GeoDataFrame in EPSG:4326 (longitude, latitude in degrees), the storage CRS;
        reproject first with ``frame.to_crs(4326)``.
    name : the layer's table name: lower-case letters, digits and ``_``.
    dsn : database URL; ``ONEMAP_DATABASE_URL`` or the project-local cluster by default.
    replace : replace a layer of the same name; without it such a layer is an error.

    Raises
    ------
    InvalidParameter when the name is not a plain identifier, the frame has no CRS or one
    other than EPSG:4326, or a layer of that name exists and ``replace`` is false.
    """
    _checked_name(name)
    if frame.crs is None or frame.crs.to_epsg() != STORAGE_SRID:
        raise InvalidParameter(
            "frame",
            f"layer {name!r} is in {frame.crs.to_string() if frame.crs else 'no CRS'}; "
            f"scenario layers are stored in EPSG:{STORAGE_SRID}: use frame.to_crs({STORAGE_SRID})",
        )
    engine = _engine(dsn)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            exists = sqlalchemy.inspect(conn).has_table(name, schema=SCHEMA)
            if exists and not replace:
                raise InvalidParameter(
                    "name", f"scenario layer {name!r} exists: pass replace=True to overwrite it"
                )
            frame.to_postgis(name, conn, schema=SCHEMA, if_exists="replace", index=False)
    finally:
        engine.dispose()
    return len(frame)


def read_layer(name: str, *, dsn: str | None = None) -> gpd.GeoDataFrame:
    """The scenario layer ``scenario.<name>`` as a GeoDataFrame in EPSG:4326."""
    _checked_name(name)
    engine = _engine(dsn)
    try:
        with engine.connect() as conn:
            if not sqlalchemy.inspect(conn).has_table(name, schema=SCHEMA):
                raise InvalidParameter("name", f"no scenario layer {name!r}")
            column = sqlalchemy.inspect(conn).get_columns(name, schema=SCHEMA)
            geometry = next(c["name"] for c in column if "geometry" in str(c["type"]).lower())
            return gpd.read_postgis(
                sqlalchemy.text(f'SELECT * FROM "{SCHEMA}"."{name}"'), conn, geom_col=geometry
            )
    finally:
        engine.dispose()
