"""Validated, all-or-nothing imports of places (districts down to buildings, and service
centres) from GeoJSON, GeoPackage, Shapefile and CSV.

- :mod:`gis.imports.layers`: the layers a file can be imported into;
- :mod:`gis.imports.columns`: the columns each layer accepts and how values are read;
- :mod:`gis.imports.record_checks`: checks of each record on its own, in Python;
- :mod:`gis.imports.staging_checks`: checks of the staged records in PostGIS;
- :mod:`gis.imports.load`: the two steps, prepare (read, reproject, check records) and load
  (stage, check, upsert in one transaction);
- ``_readers`` and ``_geojson``: the file readers, private to this package.
"""

from gis.imports._readers import SourceTable
from gis.imports._readers import read as read_table
from gis.imports.layers import LAYERS, Layer
from gis.imports.load import (
    PACKAGE,
    import_file,
    import_package,
    layer_named,
    load,
    load_package,
    prepare,
    prepare_package,
)
from gis.imports.prepared import PreparedImport
from gis.imports.problems import ImportRejected, Problem

__all__ = [
    "LAYERS",
    "PACKAGE",
    "ImportRejected",
    "Layer",
    "PreparedImport",
    "Problem",
    "SourceTable",
    "import_file",
    "import_package",
    "layer_named",
    "load",
    "load_package",
    "prepare",
    "prepare_package",
    "read_table",
]
