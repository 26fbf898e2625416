"""Imports of places over HTTP, for administrators: ``POST /api/v1/import/{layer}``.

A multipart upload (``file``) with the options of ``onemap import`` as form fields or
query parameters: ``crs`` (EPSG:nnnn or gcj02), ``layer`` (the GeoPackage layer or
Shapefile in a zip to read), ``repair`` and ``dry_run`` (true/false). The answer is the
report ``onemap import --json`` prints; a refused file answers 422 with the same report,
every problem listed, and nothing written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from app.deps import Admin, Connection, client_address
from app.params import parse_boolean
from app.problems import problem_responses
from gis import imports
from gis.people import admin_log

router = APIRouter(prefix="/api/v1", tags=["imports"])

# Larger files go through `onemap import` on the server.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024


def _option(name: str, form_value: str | None, request: Request) -> str | None:
    return form_value if form_value is not None else request.query_params.get(name)


def _flag(name: str, form_value: str | None, request: Request) -> bool:
    return parse_boolean(name, _option(name, form_value, request), default=False)


@router.post("/import/{layer}", responses=problem_responses(400, 401, 403, 404, 413, 422, 503))
async def import_places(
    layer: str,
    request: Request,
    caller: Admin,
    conn: Connection,
    file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage, zipped Shapefile, CSV")],
    crs: Annotated[str | None, Form(description="EPSG:nnnn or gcj02")] = None,
    source_layer: Annotated[
        str | None, Form(alias="layer", description="GeoPackage layer to read")
    ] = None,
    repair: Annotated[str | None, Form(description="true: fix invalid polygons")] = None,
    dry_run: Annotated[str | None, Form(description="true: check only")] = None,
) -> dict[str, Any]:
    """Import places into ``layer`` (districts, subdistricts, communities, grids,
    compounds, buildings, service_centers), all or nothing; ``all`` imports every layer
    of a GeoPackage named so, parents first, in one transaction."""
    if layer != imports.PACKAGE:
        imports.layer_named(layer)
    options = {
        "crs": _option("crs", crs, request),
        "layer_name": _option("layer", source_layer, request),
    }
    flags = {
        "repair": _flag("repair", repair, request),
        "dry_run": _flag("dry_run", dry_run, request),
    }
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="onemap-import-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        size = 0
        with path.open("wb") as saved:
            while chunk := await file.read(_CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise HTTPException(
                        413,
                        f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MiB; "
                        "use `onemap import` on the server for larger files",
                    )
                saved.write(chunk)
        # Reading and reprojecting is CPU work: keep it off the event loop.
        if layer == imports.PACKAGE:
            package = await run_in_threadpool(
                imports.prepare_package, path, crs=options["crs"], name=name
            )
            report = await imports.load_package(conn, package, **flags)
        else:
            prepared = await run_in_threadpool(imports.prepare, layer, path, name=name, **options)
            report = await imports.load(conn, prepared, **flags)
    if not flags["dry_run"]:
        await admin_log.record(
            conn,
            caller,
            "import",
            target=layer,
            detail={"file": name, "bytes": size, **options, "repair": flags["repair"]},
            address=client_address(request),
        )
    return report
