"""Validated, all-or-nothing imports of places: districts, subdistricts, communities,
grids, compounds, buildings and service centres.

An import runs in two steps. :func:`prepare` reads the file (gis.imports._readers), brings its
coordinates to EPSG:4326 (gis.crs: any EPSG CRS, or GCJ-02) and checks each record on its
own (gis.imports.record_checks). :func:`load` then, inside ONE transaction, copies every record
into a staging table and checks in PostGIS what needs geometry or the database: empty,
wrongly typed or invalid geometry (``--repair``: ST_MakeValid), unknown parents, records
not lying within their parent unit, duplicates; it assigns codes to new buildings. Only
when nothing is wrong does it upsert into the target table. Any problem refuses the whole
file with every offending record named (:class:`ImportRejected`), and nothing is written.

Re-importing is safe: records are matched to stored rows by code (compounds by id or by
name within their community, service centres by id or by level, unit and name, code-less
buildings by their footprint) and update them; fields the file leaves out keep their
stored values; stored rows the file does not mention are kept, never deleted.

    async with await psycopg.AsyncConnection.connect(url) as conn:
        report = await imports.import_file(conn, "grids", "grids.gpkg", crs="EPSG:4545")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import AsyncConnection

from gis import crs as crs_
from gis.errors import InvalidParameter
from gis.imports import _readers as readers
from gis.imports.layers import LAYERS, Layer
from gis.imports.prepared import PreparedImport
from gis.imports.problems import ImportRejected, Problem
from gis.imports.record_checks import check_records
from gis.imports.staging_checks import StagingChecks
from gis.progress import SILENT, Progress
from gis.sql import query


def layer_named(name: str) -> Layer:
    """The import layer called ``name``, or InvalidParameter listing the layers."""
    try:
        return LAYERS[name]
    except KeyError:
        raise InvalidParameter(
            "layer", f"unknown layer {name!r}; layers are {', '.join(LAYERS)}"
        ) from None


def prepare(
    layer: str,
    path: str | Path,
    *,
    crs: str | None = None,
    layer_name: str | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> PreparedImport:
    """Read a file, bring its geometry to EPSG:4326 and check each record on its own.

    Parameters
    ----------
    layer : the target layer (districts, subdistricts, communities, grids, compounds,
        buildings, service_centers).
    path : the file (GeoJSON, GeoPackage, zipped Shapefile, CSV with lon/lat).
    crs : the CRS of the coordinates (``EPSG:4545``, ``gcj02``), overriding what the
        file declares. Without either, coordinates must be plausible longitude/latitude
        (taken as EPSG:4326).
    layer_name : the GeoPackage layer (or the Shapefile inside a zip) to read.
    name : the file name to report (an upload's original name).

    Raises
    ------
    InvalidParameter for a wrong option; ImportRejected when the file cannot be read or
    its coordinates have no usable CRS.
    """
    target = layer_named(layer)
    given = crs_.parse_crs(crs) if crs else None
    progress.step(f"reading {name or Path(path).name}")
    try:
        table = readers.read(path, layer_name=layer_name, name=name)
    except ImportRejected as rejected:
        rejected.report["layer"] = layer
        raise
    if len(table) == 0:
        raise ImportRejected(
            [Problem("file", "the file holds no records")], {"layer": layer, "file": table.name}
        )
    warnings = []
    if given is not None and table.crs is not None and given.label != table.crs.label:
        warnings.append(f"the file declares {table.crs.label}; --crs {given.label} overrides it")
    source = given or table.crs
    geometries = table.geometry_array()
    if source is None:
        present = geometries[shapely.is_geometry(geometries) & ~shapely.is_empty(geometries)]
        bounds = shapely.total_bounds(present) if len(present) else np.full(4, np.nan)
        if not crs_.plausible_lonlat(bounds):
            raise ImportRejected(
                [
                    Problem(
                        "file",
                        "the file names no CRS and its coordinates (x {:.0f} … {:.0f}, "
                        "y {:.0f} … {:.0f}) are not longitude/latitude: give the CRS, "
                        "e.g. --crs EPSG:4545".format(*bounds),
                    )
                ],
                {"layer": layer, "file": table.name},
            )
        source = crs_.parse_crs(crs_.WGS84)
    storage = crs_.to_storage(geometries, source)
    unconvertible = _unconvertible(storage, table.labels, source.label)
    for problem in unconvertible:
        storage[problem.index] = None  # reported; nothing to stage
    table.problems.extend(unconvertible)
    progress.step("checking records", total=len(table))
    checked = check_records(target.name, table, storage)
    progress.advance(len(table))
    if checked.ignored_columns:
        warnings.append(f"columns ignored: {', '.join(checked.ignored_columns)}")
    return PreparedImport(
        target,
        table.name,
        table.format,
        source.label,
        checked.records,
        table.problems + checked.problems,
        warnings,
    )


def _unconvertible(geometries: Any, labels: list[str], source: str) -> list[Problem]:
    present = shapely.is_geometry(geometries) & ~shapely.is_empty(geometries)
    bounds = np.full((len(geometries), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geometries[present])
    finite = np.isfinite(bounds).all(axis=1)
    inside = finite & (np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
    inside &= (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1)
    return [
        Problem(
            labels[i],
            f"coordinates do not convert from {source} to longitude/latitude",
            field="geometry",
            index=int(i),
        )
        for i in np.flatnonzero(present & ~inside)
    ]


async def import_file(
    conn: AsyncConnection,
    layer: str,
    path: str | Path,
    *,
    crs: str | None = None,
    layer_name: str | None = None,
    name: str | None = None,
    repair: bool = False,
    dry_run: bool = False,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Import a file into ``layer``: :func:`prepare` then :func:`load`, telling
    ``progress`` each phase (reading, checking, staging, validating, writing).

    Returns
    -------
    The import report (see :func:`load`).

    Raises
    ------
    ImportRejected listing every offending record (nothing is written);
    InvalidParameter for a wrong option.
    """
    prepared = prepare(layer, path, crs=crs, layer_name=layer_name, name=name, progress=progress)
    return await load(conn, prepared, repair=repair, dry_run=dry_run, progress=progress)


class _DryRun(Exception):
    """Rolls the transaction back after a dry run computed its report."""


async def load(
    conn: AsyncConnection,
    prepared: PreparedImport,
    *,
    repair: bool = False,
    dry_run: bool = False,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Stage, check and upsert a prepared file in one transaction.

    Parameters
    ----------
    conn : an async psycopg connection; the import commits on success (or, when the
        connection is already inside a transaction, leaves a savepoint released in it).
    prepared : what :func:`prepare` returned.
    repair : fix invalid polygons with ST_MakeValid (polygonal parts kept) and report
        each repair with the reason it was invalid.
    dry_run : check and report everything, write nothing (the upsert runs and is rolled
        back, so the counts are exact).

    Returns
    -------
    The report: layer, file, format, source_crs, records, inserted, updated,
    codes_assigned, repairs, warnings, written.

    Raises
    ------
    ImportRejected with every problem found; the transaction is rolled back.
    """
    report = prepared.report(repair=repair, dry_run=dry_run)
    try:
        async with conn.transaction():
            run = StagingChecks(conn, prepared, report, progress)
            await run.stage()
            await run.validate(repair=repair)
            if run.problems:
                raise ImportRejected(run.problems, report)
            progress.step("writing" + (" (dry run, rolled back)" if dry_run else ""), total=1)
            row = await (
                await conn.execute(query(f"imports/upsert_{prepared.layer.name}"))
            ).fetchone()
            assert row is not None
            report["inserted"], report["updated"] = int(row[0]), int(row[1])
            progress.advance()
            # the next layer of a package stages afresh in the same transaction
            await conn.execute("DROP TABLE import_staging")
            if dry_run:
                raise _DryRun
    except _DryRun:
        return report
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as error:
        # The checks mirror the table constraints; this names what slipped through.
        diag = error.diag
        raise ImportRejected(
            [
                Problem(
                    "file",
                    f"the database refused the rows: {diag.message_primary} "
                    f"({diag.constraint_name or diag.sqlstate})",
                )
            ],
            report,
        ) from None
    except psycopg.InternalError as error:
        # GEOS can throw on pathological geometry that ST_IsValid let through.
        raise ImportRejected(
            [
                Problem(
                    "file", f"PostGIS could not process the geometry: {error.diag.message_primary}"
                )
            ],
            report,
        ) from None
    report["written"] = True
    return report


PACKAGE = "all"


def prepare_package(
    path: str | Path,
    *,
    crs: str | None = None,
    name: str | None = None,
    progress: Progress = SILENT,
) -> list[PreparedImport]:
    """Every layer of a GeoPackage named after an import layer (districts, subdistricts,
    …), parents first, each read and checked as :func:`prepare` does.

    Raises
    ------
    InvalidParameter when the file is no GeoPackage or has no such layer.
    """
    shown = name or Path(path).name
    if Path(shown).suffix.lower() != ".gpkg":
        raise InvalidParameter(
            "layer", f"'{PACKAGE}' imports the layers of a GeoPackage, not {shown}"
        )
    present = readers.layer_names(path, name=shown)
    layers = [layer for layer in LAYERS if layer in present]
    if not layers:
        raise InvalidParameter(
            "layer",
            f"{shown} has no layer named {', '.join(LAYERS)}; it has {', '.join(present)}",
        )
    return [
        prepare(layer, path, crs=crs, layer_name=layer, name=shown, progress=progress)
        for layer in layers
    ]


async def load_package(
    conn: AsyncConnection,
    prepared: list[PreparedImport],
    *,
    repair: bool = False,
    dry_run: bool = False,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Load several prepared layers in ONE transaction, in order, so that a layer's
    parents may come earlier in the same file. The first refused layer refuses them all
    (ImportRejected, its report naming the layer); nothing is written.

    Returns
    -------
    {"file", "format", "dry_run", "written", "layers": [one report per layer]}
    """
    reports: list[dict[str, Any]] = []
    try:
        async with conn.transaction():
            for layer in prepared:
                # written for real inside the transaction, so the next layer sees it
                reports.append(await load(conn, layer, repair=repair, progress=progress))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    for report in reports:
        report["dry_run"], report["written"] = dry_run, not dry_run
    return {
        "file": prepared[0].file if prepared else None,
        "format": prepared[0].format if prepared else None,
        "dry_run": dry_run,
        "written": not dry_run,
        "layers": reports,
    }


async def import_package(
    conn: AsyncConnection,
    path: str | Path,
    *,
    crs: str | None = None,
    name: str | None = None,
    repair: bool = False,
    dry_run: bool = False,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """:func:`prepare_package` then :func:`load_package`, telling ``progress`` each phase."""
    prepared = prepare_package(path, crs=crs, name=name, progress=progress)
    return await load_package(conn, prepared, repair=repair, dry_run=dry_run, progress=progress)
