"""Reading places from files: GeoJSON (a FeatureCollection, or a bare JSON array of
Features as DataV exports), GeoPackage, zipped (or plain) Shapefile, and CSV with lon/lat
columns.

A reader returns a :class:`SourceTable`: each record's raw properties, its geometry (a
shapely geometry in the file's own CRS, or None), where it sits in the file, and the CRS
the file declares. It never raises on one bad record: structural faults (a broken
position, an unclosed ring, properties that are not an object) become :class:`Problem`\\ s
naming the record, so one pass reports them all. A file that cannot be read at all is an
:class:`ImportRejected`; a wrong option (unknown format, missing ``--layer``) an
:class:`InvalidParameter`.

GeoJSON is parsed by hand rather than through GDAL: GDAL refuses a bare array of Features
and reports malformed features without saying which one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from numpy.typing import NDArray

from gis.crs import Crs, parse_crs
from gis.errors import InvalidParameter
from gis.imports._geojson import (
    DuplicateMember,
    feature_list,
    no_duplicates,
    read_feature,
    rejected,
)
from gis.imports.problems import Problem

FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".zip": "Shapefile",
    ".shp": "Shapefile",
    ".csv": "CSV",
}
# Columns a CSV may give positions in (lower-cased), besides a WKT column.
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
WKT_COLUMNS = ("wkt", "geometry", "geom", "几何")


@dataclass
class SourceTable:
    """Records read from a file, in file order."""

    name: str
    format: str
    columns: list[str]
    labels: list[str] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    geometries: list[Any] = field(default_factory=list)  # shapely geometry or None
    crs: Crs | None = None
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def geometry_array(self) -> NDArray[np.object_]:
        array = np.empty(len(self.geometries), dtype=object)
        array[:] = self.geometries
        return array


def read(
    path: str | Path, *, layer_name: str | None = None, name: str | None = None
) -> SourceTable:
    """Read a file of places, choosing the reader by its suffix.

    Parameters
    ----------
    path : the file (.geojson/.json, .gpkg, .zip holding a Shapefile, .shp, .csv).
    layer_name : the GeoPackage layer (or the Shapefile in a zip) to read; needed only
        when the file holds more than one.
    name : the file's name as shown in reports (an upload's original name).

    Raises
    ------
    InvalidParameter for an unknown format or a missing/unknown layer;
    ImportRejected when the file cannot be read at all.
    """
    path = Path(path)
    shown = name or path.name
    suffix = Path(shown).suffix.lower() or path.suffix.lower()
    kind = FORMATS.get(suffix)
    if kind is None:
        raise InvalidParameter(
            "file",
            f"{shown}: unknown format {suffix or '(no suffix)'}; expected one of "
            + ", ".join(sorted(FORMATS)),
        )
    if kind == "GeoJSON":
        return read_geojson(path, name=shown)
    if kind == "CSV":
        return read_csv(path, name=shown)
    return _read_ogr(path, kind, layer_name=layer_name, name=shown)


def read_geojson(path: Path, *, name: str) -> SourceTable:
    """A FeatureCollection, a bare JSON array of Features, or a single Feature."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise rejected(name, f"not UTF-8 text (GeoJSON is UTF-8): {error}") from None
    try:
        document = json.loads(text, object_pairs_hook=no_duplicates)
    except DuplicateMember as duplicate:
        raise rejected(
            name, f"an object has the member {duplicate} twice, so its meaning is ambiguous"
        ) from None
    except json.JSONDecodeError as error:
        raise rejected(
            name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    table = SourceTable(name=name, format="GeoJSON", columns=[])
    features, table.crs = feature_list(document, name)
    columns: dict[str, None] = {}
    for index, feature in enumerate(features):
        label = f"features[{index}]"
        table.labels.append(label)
        properties, geometry, feature_id = read_feature(feature, label, index, table.problems)
        table.properties.append(properties)
        table.geometries.append(geometry)
        table.ids.append(feature_id)
        columns.update(dict.fromkeys(properties))
    table.columns = list(columns)
    return table


# --- CSV ------------------------------------------------------------------------------


def read_csv(path: Path, *, name: str) -> SourceTable:
    """A CSV with a header row and lon/lat (经度/纬度) or WKT columns; UTF-8 (with or
    without BOM) or, as Excel writes it in China, GB18030."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise rejected(name, "neither UTF-8 nor GB18030 text")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise rejected(name, "no header row")
    header = [cell.strip() for cell in rows[0]]
    lowered = [column.lower() for column in header]
    lon_at = next((lowered.index(c) for c in LON_COLUMNS if c in lowered), None)
    lat_at = next((lowered.index(c) for c in LAT_COLUMNS if c in lowered), None)
    wkt_at = next((lowered.index(c) for c in WKT_COLUMNS if c in lowered), None)
    if (lon_at is None or lat_at is None) and wkt_at is None:
        raise rejected(
            name,
            "a CSV needs longitude and latitude columns (lon/lat, 经度/纬度) or a WKT column; "
            f"found {', '.join(header)}",
        )
    geometry_columns = {i for i in (lon_at, lat_at, wkt_at) if i is not None}
    table = SourceTable(
        name=name,
        format="CSV",
        columns=[c for i, c in enumerate(header) if i not in geometry_columns],
    )
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines at the end of spreadsheets
        index = len(table.labels)
        label = f"row {line}"
        table.labels.append(label)
        table.ids.append(None)
        cells = row + [""] * (len(header) - len(row))
        table.properties.append(
            {c: cells[i].strip() for i, c in enumerate(header) if i not in geometry_columns}
        )
        if len(row) > len(header):
            table.problems.append(
                Problem(label, f"{len(row)} cells but {len(header)} columns", index=index)
            )
        geometry, problem = _csv_geometry(cells, lon_at, lat_at, wkt_at, header)
        table.geometries.append(geometry)
        if problem:
            table.problems.append(Problem(label, problem, field="geometry", index=index))
    return table


def _csv_geometry(
    cells: list[str], lon_at: int | None, lat_at: int | None, wkt_at: int | None, header: list[str]
) -> tuple[Any, str | None]:
    if lon_at is not None and lat_at is not None:
        lon_text, lat_text = cells[lon_at].strip(), cells[lat_at].strip()
        if not lon_text and not lat_text:
            return None, None  # reported as "no geometry" by the checks
        try:
            lon, lat = float(lon_text), float(lat_text)
        except ValueError:
            return None, (
                f"{header[lon_at]}/{header[lat_at]} must be numbers, found "
                f"{lon_text!r}, {lat_text!r}"
            )
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None, f"{header[lon_at]}/{header[lat_at]} must be finite numbers"
        return shapely.Point(lon, lat), None
    assert wkt_at is not None
    wkt = cells[wkt_at].strip()
    if not wkt:
        return None, None
    try:
        return shapely.from_wkt(wkt), None
    except shapely.errors.GEOSException as error:
        return None, f"{header[wkt_at]} is not WKT: {error}"


# --- GeoPackage and Shapefile (GDAL through pyogrio) --------------------------------


def _read_ogr(path: Path, kind: str, *, layer_name: str | None, name: str) -> SourceTable:
    source, layer, encoding = _ogr_source(path, kind, layer_name, name)
    try:
        meta, fids, wkb, field_data = _raw_read(source, layer, encoding)
    except UnicodeDecodeError:
        # a Shapefile without .cpg written on a Chinese Windows is GBK, not UTF-8
        meta, fids, wkb, field_data = _raw_read(source, layer, "GB18030")
    except pyogrio.errors.DataSourceError as error:
        raise rejected(name, f"cannot read the {kind}: {error}") from None
    columns = [str(column) for column in meta["fields"]]
    table = SourceTable(name=name, format=kind, columns=columns)
    if meta.get("crs"):
        table.crs = parse_crs(meta["crs"], parameter="the file's CRS")
    geometries = shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else None
    prefix = "fid" if kind == "GeoPackage" else "record"
    for index, fid in enumerate(fids if fids is not None else range(len(field_data[0]))):
        label = f"{prefix} {int(fid)}"
        table.labels.append(label)
        table.ids.append(None)
        table.properties.append(
            {
                column: _plain(values[index])
                for column, values in zip(columns, field_data, strict=True)
            }
        )
        geometry = None if geometries is None else geometries[index]
        if geometry is None and wkb is not None and wkb[index] is not None:
            table.problems.append(
                Problem(label, "unreadable geometry (corrupt WKB)", field="geometry", index=index)
            )
        table.geometries.append(geometry)
    return table


def _raw_read(source: str, layer: str | None, encoding: str | None) -> tuple[Any, Any, Any, Any]:
    meta, fids, wkb, field_data = pyogrio.raw.read(
        source, layer=layer, encoding=encoding, return_fids=True
    )
    return meta, fids, wkb, field_data


def _ogr_source(
    path: Path, kind: str, layer_name: str | None, name: str
) -> tuple[str, str | None, str | None]:
    """The GDAL source path, the layer to read and the encoding to force (if any)."""
    if kind == "GeoPackage":
        layers = layer_names(path, name=name)
        return str(path), _choose(layers, layer_name, name, "layer"), None
    if path.suffix.lower() == ".shp":
        encoding = None if path.with_suffix(".cpg").exists() else "UTF-8"
        return str(path), None, encoding
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
    except zipfile.BadZipFile as error:
        raise rejected(name, f"not a zip archive: {error}") from None
    shapefiles = [m for m in members if m.lower().endswith(".shp")]
    if not shapefiles:
        raise rejected(name, "the zip holds no .shp file")
    stems = [Path(m).stem for m in shapefiles]
    chosen = shapefiles[stems.index(_choose(stems, layer_name, name, "Shapefile"))]
    has_cpg = chosen[:-4] + ".cpg" in members or chosen[:-4] + ".CPG" in members
    # Without a .cpg GDAL would take ISO-8859-1 and garble Chinese names.
    return f"/vsizip/{path}/{chosen}", None, None if has_cpg else "UTF-8"


def layer_names(path: str | Path, *, name: str) -> list[str]:
    """The layers of a GeoPackage."""
    try:
        return [str(row[0]) for row in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as error:
        raise rejected(name, f"not a GeoPackage: {error}") from None


def _choose(available: list[str], wanted: str | None, name: str, what: str) -> str:
    if wanted is not None:
        if wanted not in available:
            raise InvalidParameter(
                "layer", f"{name} has no {what} {wanted!r}; it has {', '.join(available)}"
            )
        return wanted
    if len(available) != 1:
        raise InvalidParameter(
            "layer", f"{name} holds {len(available)} {what}s ({', '.join(available)}): pick one"
        )
    return available[0]


def _plain(value: Any) -> Any:
    """numpy scalars and NaN from GDAL fields as plain Python values (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
