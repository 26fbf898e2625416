"""What the demo puts where, before any coordinates exist.

Walks the real administrative units (codes and names from the national division codes)
and lays out, cell after cell along the curve, what each street block holds: a compound of
a Jiangnan type with its buildings, a village cluster, open land, or the institution of a
dedicated grid. Base grids take whole cells until they reach 300 households; a cell never
holds more than 200, so no base grid passes 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gis import data
from gis.vocabulary import DEDICATED_KINDS

MIN_HOUSEHOLDS = 300
MAX_HOUSEHOLDS = 500
MAX_CELL_HOUSEHOLDS = 200  # < MAX - MIN, so a grid filled to MIN never passes MAX

# Where buildings go in a block, as (u, v) centres and a (du, dv) footprint in the cell's
# parameter square (a cell is about 180 m, so 0.1 ≈ 18 m). Slots start at u, v ≥ 0.15 so
# a corner stays free for a community's service centre.
_THIRDS = (0.24, 0.5, 0.76)
_FIFTHS = (0.2, 0.35, 0.5, 0.65, 0.8)
_QUARTERS = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Layout:
    """Where buildings stand in a block: centres (u, v) at every column × row and a (du, dv)
    footprint, in the cell's unit square."""

    columns: tuple[float, ...]
    rows: tuple[float, ...]
    du: float
    dv: float

    def slots(self) -> list[tuple[float, float, float, float]]:
        """The footprints as (u0, v0, u1, v1) boxes in the cell's unit square, row by row."""
        return [
            (u - self.du / 2, v - self.dv / 2, u + self.du / 2, v + self.dv / 2)
            for v in self.rows
            for u in self.columns
        ]


TOWERS = Layout(_THIRDS, _THIRDS, 0.17, 0.075)
SLABS = Layout((0.3, 0.7), _QUARTERS, 0.3, 0.07)
HOUSES = Layout(_FIFTHS, _FIFTHS, 0.07, 0.07)
RENTALS = Layout(_QUARTERS, _QUARTERS, 0.1, 0.1)

# compound type: (weight, layout, floors choices, units choices, households per floor
# per unit, built years, share with a property manager)
COMPOUND_TYPES: dict[
    str,
    tuple[float, Layout, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, int], float],
] = {
    "commercial": (0.38, TOWERS, (11, 18, 26, 33), (2,), (2,), (2003, 2023), 1.0),
    "resettlement": (0.10, TOWERS, (11, 15, 18), (2,), (3,), (2008, 2022), 0.9),
    "old": (0.18, SLABS, (5, 6, 7), (2, 3), (2,), (1985, 2002), 0.6),
    "old_unmanaged": (0.08, SLABS, (5, 6, 7), (2, 3), (2,), (1980, 1998), 0.0),
    "work_unit": (0.12, SLABS, (4, 5, 6, 7), (2, 3), (2,), (1975, 1998), 0.5),
    "lane_bungalow": (0.06, HOUSES, (1, 2), (1,), (1, 2), (1960, 1995), 0.0),
    "urban_village_rental": (0.08, RENTALS, (4, 5, 6, 7, 8), (1,), (3, 4, 5), (1995, 2015), 0.0),
}

ESTATE_STEMS = (
    "金湖",
    "江南",
    "壮锦",
    "凤凰",
    "盛世",
    "锦绣",
    "翠竹",
    "福满",
    "滨江",
    "绿城",
    "阳光",
    "和谐",
    "荣和",
    "富丽",
    "白沙",
    "亭洪",
    "星光",
    "银海",
    "碧园",
    "龙光",
    "沙井",
    "那洪",
    "五一",
    "淡村",
    "南建",
    "友谊",
    "石柱",
    "明阳",
    "吴圩",
    "苏圩",
)
ESTATE_SUFFIXES = ("花园", "小区", "苑", "家园", "新村", "公寓", "名都", "华庭", "城")
WORK_UNITS = ("糖厂", "机械厂", "铁路", "粮食局", "供电局", "纺织厂", "化肥厂", "水泥厂", "农机站")

DEDICATED_KINDS_URBAN = {
    "school": 0.3,
    "hospital": 0.12,
    "mall": 0.18,
    "office_tower": 0.17,
    "enterprise": 0.08,
    "public_security": 0.08,
    "industrial_park": 0.07,
}
DEDICATED_KINDS_ZONE = {"industrial_park": 0.65, "enterprise": 0.35}
DEDICATED_KINDS_RURAL = {
    "industrial_park": 0.45,
    "school": 0.3,
    "enterprise": 0.2,
    "hospital": 0.05,
}
# kind: [(box, building use, floors range)]
DEDICATED_BUILDINGS: dict[
    str, list[tuple[tuple[float, float, float, float], str, tuple[int, int]]]
] = {
    "school": [
        ((0.2, 0.2, 0.5, 0.28), "school", (4, 5)),
        ((0.2, 0.4, 0.5, 0.48), "school", (4, 5)),
        ((0.6, 0.2, 0.8, 0.45), "school", (2, 4)),
    ],
    "hospital": [
        ((0.3, 0.3, 0.5, 0.55), "hospital", (12, 22)),
        ((0.6, 0.2, 0.85, 0.3), "hospital", (4, 6)),
        ((0.6, 0.6, 0.85, 0.7), "hospital", (4, 6)),
    ],
    "mall": [
        ((0.2, 0.25, 0.7, 0.7), "commercial", (4, 6)),
        ((0.75, 0.3, 0.88, 0.45), "office", (20, 30)),
    ],
    "office_tower": [
        ((0.25, 0.25, 0.4, 0.4), "office", (20, 45)),
        ((0.6, 0.25, 0.75, 0.4), "office", (20, 45)),
        ((0.4, 0.6, 0.6, 0.75), "office", (15, 30)),
    ],
    "industrial_park": [
        ((0.18, 0.18, 0.45, 0.42), "industrial", (1, 3)),
        ((0.55, 0.18, 0.82, 0.42), "industrial", (1, 3)),
        ((0.18, 0.58, 0.45, 0.82), "industrial", (1, 3)),
        ((0.55, 0.58, 0.82, 0.82), "industrial", (1, 3)),
    ],
    "enterprise": [
        ((0.25, 0.25, 0.5, 0.4), "office", (5, 9)),
        ((0.55, 0.5, 0.8, 0.75), "industrial", (2, 4)),
    ],
    "public_security": [
        ((0.3, 0.3, 0.5, 0.45), "public", (3, 6)),
        ((0.6, 0.55, 0.75, 0.7), "public", (2, 3)),
    ],
}
CENTRE_BOX = (0.055, 0.055, 0.14, 0.14)  # the community centre's building, in a block corner
BASIC_ROOMS = ("office", "activity", "culture_sport", "social_service")
EXTRA_ROOMS = ("elderly_care", "library", "legal_aid", "youth", "health", "veterans")


@dataclass
class Subdistrict:
    """An invented subdistrict (街道 or 乡镇): its 9-digit code, name and kind, in a county."""

    code: str
    name: str
    kind: str
    county_code: str


@dataclass
class Community:
    """An invented community (社区 or 村): its 12-digit code, name and kind, in a subdistrict."""

    code: str
    name: str
    kind: str
    subdistrict: Subdistrict

    @property
    def clustered(self) -> bool:
        """Whether it builds in clusters spread over its land, as the towns' villages (自然村)
        and the industrial zones' parks do, rather than block after block (urban communities
        and the streets' urban villages, 城中村)."""
        if self.subdistrict.kind == "zone":
            return True
        return self.kind == "village" and self.subdistrict.kind == "town"

    @property
    def short_name(self) -> str:
        """The name without its committee suffix (居委会, 委员会, 村委会)."""
        for suffix in ("居委会", "委员会", "村委会"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


@dataclass
class Grid:
    """An invented grid: its community, type (base or dedicated), staff, the cells it covers and
    the households in them."""

    community: Community
    grid_type: str
    dedicated_kind: str | None
    leaders: int
    instructors: int
    members: int
    cells: list[int] = field(default_factory=list)
    households: int = 0


@dataclass
class Compound:
    """An invented residential compound (小区): the cell and box (cell's unit square) it fills,
    its type, year built and whether a property manager runs it."""

    cell: int
    box: tuple[float, float, float, float]
    community: Community
    name: str
    compound_type: str
    built_year: int
    has_property_manager: bool


@dataclass
class Building:
    """An invented building: its cell and box (cell's unit square), community, compound (if
    any), use, floors, units, households and residents."""

    cell: int
    box: tuple[float, float, float, float]
    community: Community
    compound: int | None  # index into Plan.compounds
    building_use: str
    floors: int
    units: int
    households: int
    population: int
    name: str | None = None


@dataclass
class Centre:
    """An invented party-mass service centre: the building it sits in, its level, floor area in
    m², rooms, and the community, subdistrict or compound it serves."""

    cell: int
    building: int  # index into Plan.buildings: the centre sits in that building
    level: str
    name: str
    area_m2: float
    rooms: list[str]
    community: Community | None
    subdistrict: Subdistrict | None
    compound: int | None


@dataclass
class Plan:
    """The invented district before it has ground: its places and, per cell, the grid it belongs
    to and what kind of block it is."""

    subdistricts: list[Subdistrict]
    communities: list[Community]
    grids: list[Grid] = field(default_factory=list)
    cell_grid: list[int] = field(default_factory=list)  # grid index of each cell
    cell_kind: list[str] = field(default_factory=list)
    compounds: list[Compound] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    centres: list[Centre] = field(default_factory=list)


def _subdistrict_kind(name: str) -> str:
    if name.endswith("街道"):
        return "street"
    if name.endswith(("镇", "乡")):
        return "town"
    return "zone"


def admin_units(counties: tuple[str, ...]) -> tuple[list[Subdistrict], list[Community]]:
    """The real township- and village-level units of the given counties, in code order."""
    prefix = "jiangnan_450105" if counties == ("450105",) else "nanning_4501"
    subdistricts = [
        Subdistrict(row["code"], row["name"], _subdistrict_kind(row["name"]), row["areaCode"])
        for row in data.rows(f"{prefix}_streets.csv")
        if row["areaCode"] in counties
    ]
    by_code = {s.code: s for s in subdistricts}
    communities = [
        Community(
            row["code"],
            row["name"],
            "village" if row["name"].endswith("村委会") else "community",
            by_code[row["streetCode"]],
        )
        for row in data.rows(f"{prefix}_villages.csv")
        if row["streetCode"] in by_code
    ]
    used = {c.subdistrict.code for c in communities}
    # A unit with no village-level unit under it has no people to put in grids.
    subdistricts = [s for s in subdistricts if s.code in used]
    communities.sort(key=lambda c: c.code)
    subdistricts.sort(key=lambda s: s.code)
    return subdistricts, communities


def _largest_remainder(weights: np.ndarray, total: int, floor: int) -> np.ndarray:
    spare = total - floor * len(weights)
    if spare < 0:
        raise ValueError(f"{total} grids cannot give {len(weights)} communities {floor} each")
    share = weights / weights.sum() * spare
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: spare - counts.sum()]] += 1
    return counts + floor


def plan_district(
    counties: tuple[str, ...],
    target_grids: int,
    members_per_grid: tuple[int, int],
    rng: np.random.Generator,
) -> Plan:
    """Cut the county's communities into grids and the grids into furnished cells."""
    subdistricts, communities = admin_units(counties)
    plan = Plan(subdistricts, communities)
    urban = np.array([c.kind == "community" for c in communities])
    dedicated_total = round(target_grids * 0.075)
    # Households follow the ground: the streets' communities are the densest, their urban
    # villages (城中村) next, then the town seats and the villages of the towns; the
    # industrial zones house few (one base grid of workers' dormitories).
    kind_weight = {
        ("street", True): 1.7,
        ("street", False): 0.9,
        ("town", True): 1.2,
        ("town", False): 0.55,
        ("zone", True): 0.2,
        ("zone", False): 0.2,
    }
    weights = np.array(
        [kind_weight[(c.subdistrict.kind, c.kind == "community")] for c in communities]
    ) * rng.lognormal(0.0, 0.25, len(communities))
    base_counts = _largest_remainder(weights, target_grids - dedicated_total, floor=1)
    zone = np.array([c.subdistrict.kind == "zone" for c in communities])
    dedicated_weights = np.where(zone, 12.0, np.where(urban, 3.0, 1.0))
    dedicated_hosts = rng.choice(
        len(communities), size=dedicated_total, p=dedicated_weights / dedicated_weights.sum()
    )
    dedicated_counts = np.bincount(dedicated_hosts, minlength=len(communities))

    for index, community in enumerate(communities):
        if community.subdistrict.kind == "zone":
            kinds = DEDICATED_KINDS_ZONE
        elif community.kind == "community":
            kinds = DEDICATED_KINDS_URBAN
        else:
            kinds = DEDICATED_KINDS_RURAL
        dedicated = [
            str(rng.choice(list(kinds), p=np.array(list(kinds.values())) / sum(kinds.values())))
            for _ in range(dedicated_counts[index])
        ]
        # dedicated grids sit at random points of the community's run of cells
        sequence = ["base"] * int(base_counts[index]) + dedicated
        order = rng.permutation(len(sequence))
        first_residential = True
        for position in order:
            kind = sequence[position]
            grid = Grid(
                community,
                "base" if kind == "base" else "dedicated",
                None if kind == "base" else kind,
                leaders=0 if rng.random() < 0.01 else 1,
                instructors=1,
                members=int(rng.integers(*members_per_grid, endpoint=True)),
            )
            plan.grids.append(grid)
            if kind == "base":
                _fill_base_grid(plan, grid, rng, with_centre=first_residential)
                first_residential = False
            else:
                _add_dedicated_cell(plan, grid, kind, rng)
    return plan


def _new_cell(plan: Plan, grid: Grid, kind: str) -> int:
    cell = len(plan.cell_grid)
    plan.cell_grid.append(len(plan.grids) - 1)
    plan.cell_kind.append(kind)
    grid.cells.append(cell)
    return cell


def _fill_base_grid(plan: Plan, grid: Grid, rng: np.random.Generator, with_centre: bool) -> None:
    community = grid.community
    village = community.kind == "village"
    target = int(rng.integers(MIN_HOUSEHOLDS, 440))
    while grid.households < MIN_HOUSEHOLDS or (grid.households < target and rng.random() < 0.7):
        if rng.random() < (0.2 if village else 0.06):
            _new_cell(plan, grid, "open")  # park, farmland, pond: part of the grid, no homes
            continue
        furnish = _village_cell if village and rng.random() > 0.12 else _compound_cell
        content = furnish(plan, community, rng)
        households = sum(b.households for b in content[1])
        if grid.households >= MIN_HOUSEHOLDS and grid.households + households > MAX_HOUSEHOLDS:
            break  # this block is left for the next grid
        cell = _new_cell(plan, grid, "village" if furnish is _village_cell else "compound")
        _place(plan, cell, content, with_centre, rng)
        with_centre = False
        grid.households += households


def _compound_cell(plan: Plan, community: Community, rng: np.random.Generator):
    names = list(COMPOUND_TYPES)
    weights = np.array([COMPOUND_TYPES[n][0] for n in names])
    compound_type = str(rng.choice(names, p=weights / weights.sum()))
    _, layout, floors, units, per_floor, years, managed = COMPOUND_TYPES[compound_type]
    if compound_type in ("work_unit", "old", "old_unmanaged") and rng.random() < 0.5:
        name = f"{rng.choice(WORK_UNITS)}宿舍"
    elif compound_type == "urban_village_rental":
        name = f"{community.short_name}出租屋片区"
    else:
        name = f"{rng.choice(ESTATE_STEMS)}{rng.choice(ESTATE_SUFFIXES)}"
    compound = Compound(
        -1,
        (0.06, 0.06, 0.94, 0.94),
        community,
        name,
        compound_type,
        int(rng.integers(*years, endpoint=True)),
        bool(rng.random() < managed),
    )
    cap = int(rng.integers(90, MAX_CELL_HOUSEHOLDS + 1))
    buildings = _fill_slots(layout, floors, units, per_floor, cap, community, rng, occupancy=1.0)
    return compound, buildings


def _village_cell(plan: Plan, community: Community, rng: np.random.Generator):
    cap = int(rng.integers(40, 120))
    return None, _fill_slots(HOUSES, (2, 3, 4, 5), (1,), (1,), cap, community, rng, occupancy=0.8)


def _fill_slots(
    layout: Layout,
    floors: tuple[int, ...],
    units: tuple[int, ...],
    per_floor: tuple[int, ...],
    cap: int,
    community: Community,
    rng: np.random.Generator,
    occupancy: float,
) -> list[Building]:
    buildings: list[Building] = []
    total = 0
    for slot in layout.slots():
        if rng.random() > occupancy:
            continue
        n_floors = int(rng.choice(floors))
        n_units = int(rng.choice(units))
        households = n_floors * n_units * int(rng.choice(per_floor))
        if total + households > cap:
            if buildings:
                break
            continue
        total += households
        population = round(households * rng.uniform(2.2, 3.2))
        use = "mixed" if n_floors >= 11 and rng.random() < 0.1 else "residential"
        buildings.append(
            Building(-1, slot, community, None, use, n_floors, n_units, households, population)
        )
    return buildings


def _place(plan: Plan, cell: int, content, with_centre: bool, rng: np.random.Generator) -> None:
    compound, buildings = content
    compound_index = None
    if compound is not None:
        compound.cell = cell
        if with_centre:  # leave the corner for the community's service centre
            compound.box = (0.148, *compound.box[1:])
        compound_index = len(plan.compounds)
        plan.compounds.append(compound)
    first_building = len(plan.buildings)
    for building in buildings:
        building.cell = cell
        building.compound = compound_index
        plan.buildings.append(building)
    community = buildings[0].community if buildings else compound.community if compound else None
    if with_centre and community is not None:
        _add_community_centre(plan, cell, community, rng)
    if compound_index is not None and buildings and compound is not None:
        _maybe_compound_centre(plan, compound_index, first_building, rng)


def _rooms(rng: np.random.Generator) -> list[str]:
    rooms = [room for room in BASIC_ROOMS if rng.random() < 0.9]
    extras = rng.choice(EXTRA_ROOMS, size=int(rng.integers(0, 3)), replace=False)
    return rooms + [str(x) for x in extras]


def _add_community_centre(
    plan: Plan, cell: int, community: Community, rng: np.random.Generator
) -> None:
    building = Building(
        cell,
        CENTRE_BOX,
        community,
        None,
        "public",
        3,
        1,
        0,
        0,
        name=f"{community.short_name}党群服务中心",
    )
    plan.buildings.append(building)
    area = float(np.clip(round(500 * rng.lognormal(0.25, 0.45), -1), 120, 4500))
    plan.centres.append(
        Centre(
            cell,
            len(plan.buildings) - 1,
            "community",
            building.name or "",
            area,
            _rooms(rng),
            community,
            community.subdistrict,
            None,
        )
    )


def _maybe_compound_centre(
    plan: Plan, compound: int, building: int, rng: np.random.Generator
) -> None:
    info = plan.compounds[compound]
    if info.compound_type not in ("commercial", "resettlement", "old", "work_unit"):
        return
    if rng.random() > 0.45:
        return
    households = sum(b.households for b in plan.buildings[building:] if b.compound == compound)
    standard = max(300.0, 30.0 * households / 100.0)
    area = float(round(standard * rng.lognormal(0.2, 0.2), -1))
    plan.centres.append(
        Centre(
            info.cell,
            building,
            "compound",
            f"{info.name}党群服务站",
            area,
            _rooms(rng),
            info.community,
            info.community.subdistrict,
            compound,
        )
    )


def _add_dedicated_cell(plan: Plan, grid: Grid, kind: str, rng: np.random.Generator) -> None:
    cell = _new_cell(plan, grid, "dedicated")
    for box, use, floors in DEDICATED_BUILDINGS[kind]:
        plan.buildings.append(
            Building(
                cell,
                box,
                grid.community,
                None,
                use,
                int(rng.integers(*floors, endpoint=True)),
                1,
                0,
                0,
                name=f"{grid.community.short_name}{DEDICATED_KINDS.label(kind)}",
            )
        )
