"""Structural checks of GeoJSON (RFC 7946) as gis.imports._readers reads it by hand: which member is
missing or malformed, where (``geometry.coordinates[0][3]``), in words a person can act
on. GDAL would refuse a bare array of Features and not say which feature is broken.
"""

from __future__ import annotations

import json
import math
from typing import Any

import shapely

from gis.crs import Crs, parse_crs
from gis.errors import InvalidParameter
from gis.imports.problems import ImportRejected, Problem


def rejected(name: str, problem: str) -> ImportRejected:
    """The whole file refused, for ``problem``."""
    return ImportRejected([Problem("file", problem)], {"file": name})


_DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}
# Members whose presence changes what an object is (RFC 7946 §7.1): refuse rather than guess.
_FORBIDDEN = {
    "Feature": ("features", "coordinates", "geometries"),
    "FeatureCollection": ("properties", "coordinates", "geometry", "geometries"),
    "geometry": ("properties", "geometry", "features"),
}


class DuplicateMember(ValueError):
    pass


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateMember(key)
        seen[key] = value
    return seen


def feature_list(document: Any, name: str) -> tuple[list[Any], Crs | None]:
    """The features of a GeoJSON document and the CRS it declares (GeoJSON 2008)."""
    if isinstance(document, list):
        return document, None  # DataV's bare array of Features
    if not isinstance(document, dict):
        raise rejected(
            name, f"expected a FeatureCollection or an array of Features, found {kind_of(document)}"
        )
    kind = document.get("type")
    if not isinstance(kind, str):
        raise rejected(
            name,
            'the top-level object needs a "type" member naming FeatureCollection'
            if kind is None
            else f'"type" must be a string, found {kind_of(kind)}',
        )
    declared = _declared_crs(document["crs"], name) if "crs" in document else None
    if kind == "FeatureCollection":
        _forbidden_members(document, "FeatureCollection", name)
        if "features" not in document:
            raise rejected(name, 'a FeatureCollection needs a "features" member')
        if not isinstance(document["features"], list):
            raise rejected(
                name, f'"features" must be an array, found {kind_of(document["features"])}'
            )
        return list(document["features"]), declared
    if kind == "Feature":
        return [document], declared
    if kind in _DEPTH or kind == "GeometryCollection":
        raise rejected(
            name,
            f"a bare {kind} geometry carries no properties (codes, names): expected a "
            "FeatureCollection or an array of Features",
        )
    if kind.lower() in ("featurecollection", "feature"):
        raise rejected(name, f'"type" is case-sensitive: {kind!r} is not a GeoJSON type')
    raise rejected(name, f"unknown GeoJSON type {kind!r}")


def _forbidden_members(document: dict[str, Any], role: str, name: str) -> None:
    present = [member for member in _FORBIDDEN[role] if member in document]
    if present:
        raise rejected(name, f"a {role} must not have the member(s) {', '.join(present)}")


def _declared_crs(member: Any, name: str) -> Crs | None:
    # GeoJSON 2008's "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    if member is None:
        return None
    spelled = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(spelled, str):
        raise rejected(name, f'"crs" member not understood: {json.dumps(member)[:120]}')
    try:
        return parse_crs(spelled, parameter="crs member")
    except InvalidParameter as error:
        raise rejected(name, str(error)) from None


def read_feature(
    feature: Any, label: str, index: int, problems: list[Problem]
) -> tuple[dict[str, Any], Any, str | None]:
    def fault(text: str, column: str | None = None) -> tuple[dict[str, Any], None, None]:
        problems.append(Problem(label, text, field=column, index=index))
        return {}, None, None

    if not isinstance(feature, dict):
        return fault(f"every feature must be an object, found {kind_of(feature)}")
    if feature.get("type") != "Feature":
        return fault(f'a feature needs "type": "Feature", found {feature.get("type")!r}')
    present = [member for member in _FORBIDDEN["Feature"] if member in feature]
    if present:
        return fault(f"a Feature must not have the member(s) {', '.join(present)}")
    feature_id = feature.get("id")
    if feature_id is not None and (
        isinstance(feature_id, bool) or not isinstance(feature_id, str | int | float)
    ):
        return fault(f'"id" must be a string or a number, found {kind_of(feature_id)}', "id")
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return fault(f'"properties" must be an object, found {kind_of(properties)}', "properties")
    shown_id = None if feature_id is None else str(feature_id)
    if "geometry" not in feature:
        problems.append(Problem(label, 'a Feature needs a "geometry" member', index=index))
        return properties, None, shown_id
    geometry_member = feature["geometry"]
    if geometry_member is None:
        return properties, None, shown_id
    problem = _geometry_problem(geometry_member, "geometry")
    if problem is not None:
        problems.append(Problem(label, problem, key=shown_id, field="geometry", index=index))
        return properties, None, shown_id
    try:
        geometry = shapely.geometry.shape(geometry_member)
    except (ValueError, TypeError, shapely.errors.GEOSException) as error:
        problems.append(
            Problem(label, f"unreadable geometry: {error}", shown_id, "geometry", index)
        )
        return properties, None, shown_id
    return properties, geometry, shown_id


def _geometry_problem(geometry: Any, where: str) -> str | None:
    """What is structurally wrong with a GeoJSON geometry object, or None."""
    if not isinstance(geometry, dict):
        return f"{where} must be an object, found {kind_of(geometry)}"
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            return f'{where}: a GeometryCollection needs a "geometries" array'
        for i, member in enumerate(members):
            problem = _geometry_problem(member, f"{where}.geometries[{i}]")
            if problem:
                return problem
        return None
    if kind not in _DEPTH:
        return f"{where}: unknown geometry type {kind!r} (types are case-sensitive)"
    present = [member for member in _FORBIDDEN["geometry"] if member in geometry]
    if present:
        return f"{where}: a geometry must not have the member(s) {', '.join(present)}"
    if "coordinates" not in geometry:
        return f'{where}: a {kind} needs a "coordinates" member'
    if "bbox" in geometry:
        bbox = geometry["bbox"]
        if not (
            isinstance(bbox, list) and len(bbox) in (4, 6) and all(_is_number(v) for v in bbox)
        ):
            return f"{where}.bbox must be 4 or 6 numbers"
    return _coordinates_problem(geometry["coordinates"], _DEPTH[kind], kind, f"{where}.coordinates")


def _coordinates_problem(value: Any, depth: int, kind: str, where: str) -> str | None:
    if depth == 1:
        if not isinstance(value, list):
            return (
                f"{where}: a position (an array of numbers) should be here, found "
                f"{kind_of(value)}: the {kind}'s coordinates are not nested deeply enough"
            )
        if not 2 <= len(value) <= 3:
            return f"{where}: a position has 2 or 3 numbers, found {len(value)}"
        if not all(_is_number(v) and math.isfinite(v) for v in value):
            return f"{where}: a position has finite numbers only, found {value!r}"
        return None
    if not isinstance(value, list):
        return (
            f"{where}: a {kind} needs arrays nested {depth} deep here, found {kind_of(value)} "
            "(a number where a coordinate array should be)"
        )
    for i, member in enumerate(value):
        problem = _coordinates_problem(member, depth - 1, kind, f"{where}[{i}]")
        if problem:
            return problem
    ring_depth = {"Polygon": 2, "MultiPolygon": 2}.get(kind)
    line_depth = {"LineString": 2, "MultiLineString": 2}.get(kind)
    if depth == ring_depth and value:
        if len(value) < 4:
            return f"{where}: a linear ring needs at least 4 positions, found {len(value)}"
        if value[0] != value[-1]:
            return f"{where}: a linear ring must end where it starts ({value[0]} ≠ {value[-1]})"
    if depth == line_depth and value and len(value) < 2:
        return f"{where}: a line needs at least 2 positions"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
