"""The layers a file can be imported into: their tables, how their records are named and
shaped, and which stored children must stay inside a re-imported outline."""

from __future__ import annotations

from dataclasses import dataclass

_POLYGONS = ("POLYGON", "MULTIPOLYGON")

# A parent table's unit, as messages name it.
UNIT = {
    "districts": "district",
    "subdistricts": "subdistrict",
    "communities": "community",
    "compounds": "compound",
}


@dataclass(frozen=True)
class Layer:
    """An importable layer: its table, how its records are named and shaped."""

    name: str
    noun: str
    geometry_types: tuple[str, ...] = _POLYGONS
    # SQL over import_staging naming the place a record stands for, to find duplicates
    identity: str = "key"
    # stored children that must lie within a re-imported record: (table, parent column, key)
    children: tuple[tuple[str, str, str], ...] = ()

    @property
    def point(self) -> bool:
        return "POINT" in self.geometry_types


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "districts", "district", children=(("subdistricts", "county_code", "subdistrict_code"),)
        ),
        Layer(
            "subdistricts",
            "subdistrict",
            children=(("communities", "subdistrict_code", "community_code"),),
        ),
        Layer(
            "communities",
            "community",
            children=(
                ("grids", "community_code", "grid_code"),
                ("compounds", "community_code", "compound_id"),
                ("buildings", "community_code", "building_code"),
            ),
        ),
        Layer("grids", "grid"),
        Layer("compounds", "compound"),
        Layer("buildings", "building"),
        Layer(
            "service_centers",
            "service centre",
            geometry_types=("POINT", "MULTIPOINT"),
            identity="coalesce(key, attrs->>'level' || ' ' || parent_code || ' ' || name)",
        ),
    )
}
