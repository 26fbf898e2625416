"""The layers a file can be imported into, in one table: each layer's table, how one of its
records is named in messages, the column of its own code or id, the unit its records nest
in, its geometry, how duplicates are recognised, and which stored children must stay
inside a re-imported outline. Which file columns a layer accepts is gis.imports.columns."""

from __future__ import annotations

from dataclasses import dataclass

_POLYGONS = ("POLYGON", "MULTIPOLYGON")


@dataclass(frozen=True)
class Layer:
    """An importable layer: its table, how its records are named, keyed, nested and shaped."""

    name: str  # its table
    noun: str  # one record, as messages name it
    key: str  # the column of its own code or id, which code/编码/adcode stand for
    # the table of the unit its records nest in (service centres: by their level)
    parent: str | None = None
    geometry_types: tuple[str, ...] = _POLYGONS
    # SQL over import_staging naming the place a record stands for, to find duplicates
    identity: str = "key"
    # tables of stored children that must lie within a re-imported record
    children: tuple[str, ...] = ()

    @property
    def point(self) -> bool:
        """Whether the layer's records are points (service centres) rather than outlines."""
        return "POINT" in self.geometry_types


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("districts", "district", "county_code", children=("subdistricts",)),
        Layer(
            "subdistricts",
            "subdistrict",
            "subdistrict_code",
            parent="districts",
            children=("communities",),
        ),
        Layer(
            "communities",
            "community",
            "community_code",
            parent="subdistricts",
            children=("grids", "compounds", "buildings"),
        ),
        Layer("grids", "grid", "grid_code", parent="communities"),
        Layer("compounds", "compound", "compound_id", parent="communities"),
        Layer("buildings", "building", "building_code", parent="communities"),
        Layer(
            "service_centers",
            "service centre",
            "center_id",
            geometry_types=("POINT", "MULTIPOINT"),
            identity="coalesce(key, attrs->>'level' || ' ' || parent_code || ' ' || name)",
        ),
    )
}
