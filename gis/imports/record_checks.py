"""Record-by-record checks of an import, before anything reaches the database: columns
mapped, values read, codes parsed and nested by prefix (gis.codes), required fields
present, kinds and types settled. What needs the database or geometry (validity,
containment in the parent unit, unknown parents, duplicates after codes are assigned) is
checked in SQL by gis.imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gis import codes
from gis.codes import InvalidCode, Level
from gis.imports._readers import SourceTable
from gis.imports.columns import (
    COMMUNITY_KINDS,
    DEDICATED_KINDS,
    LAYER_COLUMNS,
    SUBDISTRICT_KINDS,
    choose,
    map_columns,
    read_value,
)
from gis.imports.layers import LAYERS
from gis.imports.problems import Problem

# The unit a service centre nests in, by its level.
CENTER_PARENT = {
    "district": "districts",
    "subdistrict": "subdistricts",
    "community": "communities",
    "compound": "compounds",
}
LEVEL_OF = {
    "county_code": Level.COUNTY,
    "subdistrict_code": Level.TOWNSHIP,
    "community_code": Level.COMMUNITY,
    "grid_code": Level.GRID,
    "building_code": Level.BUILDING,
}


@dataclass
class StagedRecord:
    """A record ready for the staging table (its geometry already in EPSG:4326)."""

    index: int
    label: str
    key: str | None  # own code or id; None: to be matched or assigned in SQL
    parent_table: str | None
    parent_code: str | None  # None with a parent_table: derive from the geometry
    name: str | None
    attrs: dict[str, Any] = field(default_factory=dict)
    geometry: Any = None


@dataclass
class Checked:
    """The outcome of checking a file's records: those staged, the problems found and the
    columns no layer field matched."""

    records: list[StagedRecord]
    problems: list[Problem]
    ignored_columns: list[str]


def check_records(layer: str, table: SourceTable, geometries: Any) -> Checked:
    """Map columns, read values and check codes of every record of ``table``.

    Parameters
    ----------
    layer : the target layer (a key of LAYER_COLUMNS).
    table : what the reader found.
    geometries : the records' geometries in EPSG:4326 (array aligned with the table).
    """
    mapping, ignored = map_columns(layer, table.columns)
    problems: list[Problem] = []
    present = set(mapping.values())
    # GeoJSON exports (onemap's own OGC API among them) carry the code as the feature id.
    own_from_id = LAYERS[layer].key not in present and any(i is not None for i in table.ids)
    if own_from_id:
        present.add(LAYERS[layer].key)
    for column in LAYER_COLUMNS[layer]:
        if column.required and column.name not in present:
            problems.append(
                Problem(
                    "columns",
                    f"no column gives {column.name} (required for {layer}); "
                    f"found {', '.join(table.columns) or 'no columns'}",
                    field=column.name,
                )
            )
    unreadable = {p.index for p in table.problems}
    records: list[StagedRecord] = []
    for index, label in enumerate(table.labels):
        faults: list[tuple[str | None, str]] = []
        values: dict[str, Any] = {}
        given_by: dict[str, str] = {}
        for header, target in mapping.items():
            column = next(c for c in LAYER_COLUMNS[layer] if c.name == target)
            value, fault = read_value(column, table.properties[index].get(header))
            if fault:
                faults.append((target, fault))
            elif value is not None and target in values and values[target] != value:
                faults.append(
                    (target, f"{given_by[target]} and {header} disagree: keep one column")
                )
            elif value is not None:
                values[target] = value
                given_by[target] = header
        if own_from_id and table.ids[index] is not None:
            own = next(c for c in LAYER_COLUMNS[layer] if c.name == LAYERS[layer].key)
            value, fault = read_value(own, table.ids[index])
            if fault:
                faults.append(("id", fault))
            elif value is not None:
                values[own.name] = value
        record = StagedRecord(
            index, label, None, LAYERS[layer].parent, None, values.get("name"), values
        )
        record.geometry = geometries[index]
        _CHECKS[layer](record, faults)
        for column in LAYER_COLUMNS[layer]:
            missing = column.required and column.name in present and column.name not in values
            if missing and not any(f[0] == column.name for f in faults):
                faults.append((column.name, "missing (required)"))
        if record.geometry is None and index not in unreadable:
            faults.append(("geometry", "no geometry"))
        key = record.key or table.ids[index] or record.name
        problems.extend(Problem(label, text, key, column, index) for column, text in faults)
        records.append(record)
    return Checked(records, problems, ignored)


def _code(
    record: StagedRecord, faults: list[tuple[str | None, str]], name: str
) -> codes.Code | None:
    raw = record.attrs.get(name)
    if raw is None:
        return None
    try:
        code = codes.parse(raw, expect=LEVEL_OF[name])
    except InvalidCode as error:
        faults.append((name, error.problem + f" (got {raw!r})"))
        record.attrs.pop(name, None)
        return None
    record.attrs[name] = code.value
    return code


def _must_nest(
    record: StagedRecord,
    faults: list[tuple[str | None, str]],
    child: codes.Code | None,
    parent_field: str,
) -> None:
    """A parent code given beside the record's own code must be its prefix."""
    parent = _code(record, faults, parent_field)
    if child is not None and parent is not None and not codes.nests(child.value, parent.value):
        faults.append(
            (
                parent_field,
                f"{parent.value} is not the parent of {child.value} (codes nest by prefix)",
            )
        )


def _own(record: StagedRecord, code: codes.Code | None, parent_length: int) -> None:
    """The record's key and parent from its own code; without a valid code there is
    nothing to nest (the bad code is reported already)."""
    if code is None:
        record.parent_table = None
        return
    record.key = code.value
    record.parent_code = code.value[:parent_length]


def _check_district(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    code = _code(record, faults, "county_code")
    record.key = code.value if code else None


def _check_subdistrict(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    code = _code(record, faults, "subdistrict_code")
    _must_nest(record, faults, code, "county_code")
    _own(record, code, 6)
    _settle_kind(
        record, faults, SUBDISTRICT_KINDS, "街道 (street), 镇/乡 (town) or 开发区/园区 (zone)"
    )


def _check_community(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    code = _code(record, faults, "community_code")
    _must_nest(record, faults, code, "subdistrict_code")
    _own(record, code, 9)
    _settle_kind(record, faults, COMMUNITY_KINDS, "社区 (community) or 村 (village)")


def _settle_kind(
    record: StagedRecord,
    faults: list[tuple[str | None, str]],
    choices: tuple[tuple[str, str], ...],
    spelled: str,
) -> None:
    if "kind" in record.attrs or any(f[0] == "kind" for f in faults):
        return
    inferred = choose(record.name or "", choices)
    if inferred is None:
        faults.append(("kind", f"missing, and the name {record.name!r} does not say {spelled}"))
    else:
        record.attrs["kind"] = inferred


def _check_grid(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    raw = record.attrs.get("grid_code")
    community = _code(record, faults, "community_code")
    record.parent_table = None  # until the code is known good
    if raw is None:
        return
    try:
        code = codes.validate_grid(
            raw,
            community_code=community.value if community else None,
            grid_type=record.attrs.get("grid_type"),
        )
    except InvalidCode as error:
        faults.append(("grid_code", error.problem + f" (got {raw!r})"))
        return
    record.attrs["grid_code"] = code.value
    record.parent_table = "communities"
    _own(record, code, 12)
    grid_type = code.grid_type
    record.attrs["grid_type"] = grid_type
    kind = record.attrs.get("dedicated_kind")
    if grid_type == "base" and kind is not None:
        faults.append(("dedicated_kind", f"a base grid (serial 001–799) has none, got {kind!r}"))
    if grid_type == "dedicated" and kind is None:
        inferred = choose(record.name or "", DEDICATED_KINDS)
        if inferred is None:
            faults.append(
                (
                    "dedicated_kind",
                    "a dedicated grid (serial 800–999) needs one (专属类型): "
                    + ", ".join(dict.fromkeys(v for _, v in DEDICATED_KINDS)),
                )
            )
        record.attrs["dedicated_kind"] = inferred


def _check_compound(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    community = _code(record, faults, "community_code")
    record.parent_code = community.value if community else None
    compound_id = record.attrs.get("compound_id")
    record.key = None if compound_id is None else str(compound_id)


def _check_building(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    given = "building_code" in record.attrs
    code = _code(record, faults, "building_code")
    _must_nest(record, faults, code, "community_code")
    if code is not None:
        _own(record, code, 12)
    elif given:
        record.parent_table = None  # a bad code: reported, nothing to derive
    elif "community_code" in record.attrs:
        record.parent_code = record.attrs["community_code"]


def _check_center(record: StagedRecord, faults: list[tuple[str | None, str]]) -> None:
    county = _code(record, faults, "county_code")
    subdistrict = _code(record, faults, "subdistrict_code")
    community = _code(record, faults, "community_code")
    for child, parent in ((subdistrict, county), (community, subdistrict), (community, county)):
        if child is not None and parent is not None and not codes.nests(child.value, parent.value):
            faults.append((None, f"{child.value} does not nest in {parent.value}"))
    center_id = record.attrs.get("center_id")
    record.key = None if center_id is None else str(center_id)
    level = record.attrs.get("level")
    if level is None:
        return
    record.parent_table = CENTER_PARENT[level]
    given = {
        "district": county,
        "subdistrict": subdistrict,
        "community": community,
    }.get(level)
    if level == "compound":
        compound_id = record.attrs.get("compound_id")
        record.parent_code = None if compound_id is None else str(compound_id)
    elif given is not None:
        record.parent_code = given.value


_CHECKS: dict[str, Callable[[StagedRecord, list[tuple[str | None, str]]], None]] = {
    "districts": _check_district,
    "subdistricts": _check_subdistrict,
    "communities": _check_community,
    "grids": _check_grid,
    "compounds": _check_compound,
    "buildings": _check_building,
    "service_centers": _check_center,
}
