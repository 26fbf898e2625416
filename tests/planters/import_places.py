"""Planted places and small files for the import tests (shared by the gis, API and CLI
tests of imports).

The planted district 450105 is a 0.1° box around Jiangnan; subdistrict 450105001 the
box 108.30–108.34 E × 22.80–22.84 N; community 450105001001 its western half and
450105001002 its eastern half (the border at 108.32 E).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import psycopg
import shapely

from gis import imports

TABLES = (
    "districts",
    "subdistricts",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "service_centers",
)
WEST = "450105001001"
EAST = "450105001002"
BORDER_LON = 108.32


def box(minx: float, miny: float, maxx: float, maxy: float) -> shapely.Polygon:
    return shapely.box(minx, miny, maxx, maxy)


def seed(url: str) -> None:
    """Plant the district, subdistrict and two communities."""
    with psycopg.connect(url) as conn:
        rows = [
            (
                "districts",
                "county_code, name",
                ("450105", "江南区"),
                box(108.25, 22.75, 108.40, 22.90),
            ),
            (
                "subdistricts",
                "subdistrict_code, county_code, name, kind",
                ("450105001", "450105", "江南街道", "street"),
                box(108.30, 22.80, 108.34, 22.84),
            ),
            (
                "communities",
                "community_code, subdistrict_code, county_code, name, kind",
                (WEST, "450105001", "450105", "西社区", "community"),
                box(108.30, 22.80, BORDER_LON, 22.84),
            ),
            (
                "communities",
                "community_code, subdistrict_code, county_code, name, kind",
                (EAST, "450105001", "450105", "东村", "village"),
                box(BORDER_LON, 22.80, 108.34, 22.84),
            ),
        ]
        for table, columns, values, geometry in rows:
            marks = ", ".join(["%s"] * len(values))
            conn.execute(
                f"INSERT INTO {table} ({columns}, geom)"
                f" VALUES ({marks}, ST_Multi(ST_GeomFromText(%s, 4326)))",
                (*values, geometry.wkt),
            )


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in TABLES
        }


def run_import(url: str, layer: str, path: Path, **options: Any) -> dict[str, Any]:
    """gis.imports.import_file on its own async connection."""

    async def go() -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await imports.import_file(conn, layer, path, **options)

    return asyncio.run(go())


def run_package(url: str, path: Path, **options: Any) -> dict[str, Any]:
    """gis.imports.import_package on its own async connection."""

    async def go() -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await imports.import_package(conn, path, **options)

    return asyncio.run(go())


def feature(properties: dict[str, Any], geometry: Any) -> dict[str, Any]:
    shape = (
        geometry if isinstance(geometry, dict) or geometry is None else geometry.__geo_interface__
    )
    return {"type": "Feature", "properties": properties, "geometry": shape}


def write_geojson(path: Path, features: list[dict[str, Any]], *, bare: bool = False) -> Path:
    document: Any = features if bare else {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def grid_features() -> list[dict[str, Any]]:
    """Two good grids of the western community, in Chinese columns; the first with a
    legacy 14-digit code and its members given by name."""
    return [
        feature(
            {"网格编码": "45010500100101", "网格名称": "一网格", "网格员": "张三、李四、王五"},
            box(108.300, 22.800, 108.310, 22.810),
        ),
        feature(
            {"网格编码": "450105001001002", "网格名称": "二网格", "网格员": 4, "网格长": 1},
            box(108.310, 22.800, 108.320, 22.810),
        ),
    ]
