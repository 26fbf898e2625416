"""The staging-table half of an import (see gis.imports): which layers there are, and
the checks run in PostGIS on a file's records inside the import's transaction —
geometry (empty, type, validity, ``--repair``), parents derived from geometry, unknown
ids and parents, nesting within the parent unit, building codes, duplicates, and stored
children a re-imported outline would leave outside.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import shapely
from psycopg import AsyncConnection, sql

from gis import crs as crs_
from gis.imports.layers import LAYERS
from gis.imports.prepared import PreparedImport
from gis.imports.problems import Problem
from gis.progress import Progress
from gis.sql import query

# Nesting tolerance: covered by the parent grown by this many metres, or ...
TOLERANCE_M = 0.5
# ... no more than this many square metres outside it.
TOLERANCE_M2 = 1.0


def _template(name: str, **identifiers: str) -> sql.Composed:
    """A gis/sql file with its {placeholders} filled by quoted identifiers."""
    return sql.SQL(query(f"imports/{name}")).format(
        **{k: sql.Identifier(v) for k, v in identifiers.items()}
    )


class StagingChecks:
    """One layer's checks against the staging table, collecting problems and filling
    the report (repairs, codes assigned, warnings)."""

    def __init__(
        self,
        conn: AsyncConnection,
        prepared: PreparedImport,
        report: dict[str, Any],
        progress: Progress,
    ) -> None:
        self.conn = conn
        self.layer = prepared.layer
        self.records = prepared.records
        self.report = report
        self.progress = progress
        self.problems: list[Problem] = list(prepared.problems)
        self.repair = False

    def _problem(self, ord_: int, text: str, field: str | None = None) -> None:
        record = self.records[ord_]
        self.problems.append(
            Problem(record.label, text, record.key or record.name, field, record.index)
        )

    async def stage(self) -> None:
        """Copy the records, geometries in EPSG:4326, into this session's staging table."""
        await self.conn.execute(query("imports/staging"))
        geometries = np.empty(len(self.records), dtype=object)
        geometries[:] = [r.geometry for r in self.records]
        present = shapely.is_geometry(geometries)
        ewkb = np.full(len(self.records), None, dtype=object)
        if present.any():
            ewkb[present] = shapely.to_wkb(
                shapely.set_srid(geometries[present], crs_.STORAGE_SRID),
                hex=True,
                include_srid=True,
            )
        self.progress.step("staging records", total=len(self.records))
        columns = "ord, label, key, parent_table, parent_code, name, attrs, geom"
        async with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY import_staging ({columns}) FROM STDIN") as copy,
        ):
            for i, record in enumerate(self.records):
                await copy.write_row(
                    (
                        i,
                        record.label,
                        record.key,
                        record.parent_table,
                        record.parent_code,
                        record.name,
                        json.dumps(record.attrs, default=_json_value, ensure_ascii=False),
                        ewkb[i],
                    )
                )
                if i % 1000 == 999:
                    self.progress.advance(1000)
        self.progress.advance(len(self.records) % 1000)

    async def validate(self, *, repair: bool) -> None:
        """Run the layer's checks on the staged records, repairing invalid geometries when
        ``repair``; problems go to ``self.problems``."""
        self.repair = repair
        steps = [self._geometry, self._derive_parents, self._unknown_ids, self._nesting]
        if self.layer.name == "buildings":
            steps.append(self._building_codes)
        elif self.layer.name == "compounds":
            steps.append(self._compound_ids)
        elif self.layer.name == "service_centers":
            steps.append(self._center_ids)
        steps += [self._duplicates, self._orphans]
        self.progress.step("validating", total=len(steps))
        for step in steps:
            await step()
            self.progress.advance()

    async def _geometry(self) -> None:
        params = {
            "types": list(self.layer.geometry_types),
            "noun": self.layer.noun,
            "repair": self.repair,
        }
        for ord_, problem in await self._rows(query("imports/geometry_checks"), params):
            if problem is not None:
                self._problem(ord_, problem, "geometry")
        if self.repair:
            for ord_, reason, emptied in await self._rows(query("imports/repair")):
                record = self.records[ord_]
                self.report["repairs"].append(
                    {"record": record.label, "key": record.key or record.name, "reason": reason}
                )
                if emptied:
                    self._problem(ord_, f"repair left no polygon ({reason})", "geometry")
            await self.conn.execute(
                "UPDATE import_staging SET geometry_problem = 'repair left no polygon'"
                " WHERE repaired_from IS NOT NULL AND ST_IsEmpty(geom)"
            )
        await self.conn.execute(query("imports/normalise"), {"point": self.layer.point})

    async def _derive_parents(self) -> None:
        for parent_table in sorted({r.parent_table for r in self.records if r.parent_table}):
            statement = _template(
                "derive_parent",
                parent_table=parent_table,
                parent_key=LAYERS[parent_table].key,
            )
            rows = await self._rows(statement, {"parent_table": parent_table})
            for ord_, parent_code in rows:
                if parent_code is None:
                    unit = LAYERS[parent_table].noun
                    self._problem(
                        ord_,
                        f"no {unit} contains it: give its {LAYERS[parent_table].key} or "
                        f"import the {parent_table} first",
                        LAYERS[parent_table].key,
                    )
                else:
                    self.records[ord_].parent_code = parent_code

    async def _unknown_ids(self) -> None:
        checks = {
            "compounds": [("compound_id", "key", "compounds", "compound_id")],
            "service_centers": [("center_id", "key", "service_centers", "center_id")],
            "buildings": [("compound_id", "attrs->>'compound_id'", "compounds", "compound_id")],
        }.get(self.layer.name, [])
        for source, expression, table, id_column in checks:
            statement = sql.SQL(query("imports/unknown_ids")).format(
                source=sql.Identifier(source),
                source_expression=sql.SQL("({})::bigint").format(sql.SQL(expression)),
                table=sql.Identifier(table),
                id_column=sql.Identifier(id_column),
            )
            for ord_, missing in await self._rows(statement):
                self._problem(
                    ord_,
                    f"{table} has no {id_column} {missing}: ids are given by onemap; "
                    "leave it empty to add a new one",
                    source,
                )

    async def _nesting(self) -> None:
        parent_tables = {r.parent_table for r in self.records if r.parent_table}
        for parent_table in sorted(t for t in parent_tables if t):
            statement = _template(
                "nesting", parent_table=parent_table, parent_key=LAYERS[parent_table].key
            )
            params = {
                "parent_table": parent_table,
                "tolerance_m": TOLERANCE_M,
                "tolerance_m2": TOLERANCE_M2,
            }
            unit = LAYERS[parent_table].noun
            for ord_, parent_code, unknown, outside_m2, distance_m in await self._rows(
                statement, params
            ):
                if unknown:
                    self._problem(
                        ord_,
                        f"unknown parent: {unit} {parent_code} is not in the database "
                        f"(import the {parent_table} first)",
                        LAYERS[parent_table].key,
                    )
                elif outside_m2 is None:
                    self._problem(
                        ord_,
                        f"lies {distance_m:,.1f} m outside its {unit} {parent_code}",
                        "geometry",
                    )
                elif outside_m2 > TOLERANCE_M2:
                    self._problem(
                        ord_,
                        f"does not lie within its {unit} {parent_code}: {outside_m2:,.1f} m² "
                        f"outside (tolerance {TOLERANCE_M2:g} m² or {TOLERANCE_M:g} m)",
                        "geometry",
                    )

    async def _building_codes(self) -> None:
        await self._match_footprints("buildings", "building_code", by_name=False)
        await self.conn.execute(query("imports/link_compounds"))
        for ord_, code, community in await self._rows(query("imports/assign_building_codes")):
            if code is None:
                self._problem(ord_, f"community {community} has no free building serial left")
            else:
                self.records[ord_].key = code
                self.report["codes_assigned"].append(
                    {"record": self.records[ord_].label, "code": code}
                )

    async def _match_footprints(self, table: str, key: str, *, by_name: bool) -> None:
        statement = _template("match_footprints", table=table, key=key)
        await self.conn.execute(statement, {"by_name": by_name})

    async def _compound_ids(self) -> None:
        # compound names repeat within a community (铁路宿舍, 出租屋片区): match by outline
        await self._match_footprints("compounds", "compound_id", by_name=True)

    async def _center_ids(self) -> None:
        await self.conn.execute(query("imports/match_centers"))

    async def _duplicates(self) -> None:
        statement = sql.SQL(query("imports/duplicates")).format(
            identity=sql.SQL(self.layer.identity)
        )
        for identity, ords, labels in await self._rows(statement):
            for ord_ in ords:
                others = [label for o, label in zip(ords, labels, strict=True) if o != ord_]
                self._problem(
                    ord_, f"{identity} appears more than once in the file: also {', '.join(others)}"
                )

    async def _orphans(self) -> None:
        for child_table in self.layer.children:
            statement = _template(
                "orphans",
                child_table=child_table,
                parent_column=self.layer.key,
                child_key=LAYERS[child_table].key,
            )
            for key, outside, examples in await self._rows(statement, {"tolerance_m": TOLERANCE_M}):
                self.report["warnings"].append(
                    f"{outside} stored {child_table} of {key} would lie outside its new outline "
                    f"(e.g. {', '.join(examples)}): re-import them too"
                )

    async def _rows(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        cursor = await self.conn.execute(statement, params)
        return await cursor.fetchall()


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")
