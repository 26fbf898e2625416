"""A small grid network planted by hand, with every audit finding in a known place.

Drawn in metres (EPSG:4545, CGCS2000 Gauss-Krüger 108°E, near Jiangnan) and stored in
EPSG:4326 like real data; (x, y) below are metres from the origin. Two communities side by
side, C1 = [0, 1000] × [0, 1000] and C2 = [1000, 2000] × [0, 1000]::

    y=1000 ┌───────┬───gap C1───┬─H─────────────────────┐   H (C2) reaches into C1
           │   C   │    D       │ F (C2, no members)    │
    y=500  ├─────A∩B───────────┤                       │
           │   A   ┃     B      │                       │
    y=0    └───────┸────────────┴─E──── gap C2 ─────────┘   E (C1's code) lies in C2
           x=0    480/500     1000                    2000

Expected findings (areas in m²): gaps C1 45,000 and C2 190,000; overlap A∩B 10,000;
crossing E (all of its 10,000 outside C1, in C2) and H (5,000 of 55,000 in C1); stray
building b2; split building b3 (C 25 %, D 75 %, counted in D); out of standard C (too
few households) and D (too many); unstaffed C (no leader) and F (no members).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

X0, Y0 = 530_000.0, 2_520_000.0  # about 108.30 E, 22.78 N
COUNTY, SUBDISTRICT = "450105", "450105001"
C1, C2 = "450105001001", "450105001002"
A, B, C, D = (f"{C1}00{i}" for i in range(1, 5))
E = f"{C1}801"  # dedicated (school), but drawn inside C2
F, H = f"{C2}001", f"{C2}002"


@dataclass(frozen=True)
class Grid:
    code: str
    box: tuple[float, float, float, float]
    leaders: int = 1
    members: int = 3

    @property
    def community(self) -> str:
        return self.code[:12]


@dataclass(frozen=True)
class Building:
    code: str
    box: tuple[float, float, float, float]
    households: int
    population: int


GRIDS = (
    Grid(A, (0, 0, 500, 500)),
    Grid(B, (480, 0, 1000, 500)),
    Grid(C, (0, 500, 500, 1000), leaders=0),
    Grid(D, (500, 500, 1000, 900)),
    Grid(E, (1000, 0, 1100, 100)),
    Grid(F, (1000, 200, 2000, 950), members=0),
    Grid(H, (900, 950, 2000, 1000)),
)
BUILDINGS = (
    Building(f"{C1}00001", (100, 100, 120, 120), 350, 900),  # b1 in A
    Building(f"{C1}00002", (600, 950, 620, 970), 30, 80),  # b2 in C1's gap: stray
    Building(f"{C1}00003", (490, 600, 530, 620), 300, 700),  # b3 split C 25 % / D 75 %
    Building(f"{C1}00004", (485, 10, 495, 20), 50, 150),  # b4 inside A∩B: counts in A
    Building(f"{C1}00005", (700, 880, 720, 910), 260, 600),  # b5 2/3 in D, 1/3 in the gap
    Building(f"{C2}00001", (1500, 500, 1520, 520), 450, 1100),  # b6 in F
    Building(f"{C2}00002", (1020, 20, 1040, 40), 0, 0),  # b7 in E (a school)
    Building(f"{C1}00006", (700, 100, 720, 120), 250, 1000),  # b9 in B: ~1,000 people
    Building(f"{C1}00007", (100, 700, 120, 720), 200, 500),  # b10 in C: too few
    Building(f"{C2}00003", (1500, 960, 1520, 980), 320, 850),  # b11 in H
)
# A compound in A and one in F, by their point on surface.
COMPOUNDS = ((C1, (50, 50, 200, 200)), (C2, (1400, 400, 1600, 600)))

# Hand-computed statistics: grid → (households, population, buildings, compounds).
GRID_FIGURES = {
    A: (400, 1050, 2, 1),
    B: (250, 1000, 1, 0),
    C: (200, 500, 1, 0),
    D: (560, 1300, 2, 0),
    E: (0, 0, 1, 0),
    F: (450, 1100, 1, 1),
    H: (320, 850, 1, 0),
}


def box_sql(box: tuple[float, float, float, float]) -> str:
    """SQL for a box in layout metres as a 4326 MultiPolygon.

    Edges get a vertex every 10 m before the transform, so boxes sharing an edge share
    its vertices, as topologically clean data does: a lone straight edge in 4326 would
    part from its neighbour's vertices by millimetres and leave slivers of a few m².
    """
    x1, y1, x2, y2 = box
    envelope = f"ST_MakeEnvelope({X0 + x1}, {Y0 + y1}, {X0 + x2}, {Y0 + y2}, 4545)"
    return f"ST_Multi(ST_Transform(ST_Segmentize({envelope}, 10), 4326))"


def plant(conn: psycopg.Connection) -> None:
    """Insert the layout (district, subdistrict, two communities, grids, compounds,
    buildings) and commit."""
    whole = box_sql((0, 0, 2000, 1000))
    conn.execute(f"INSERT INTO districts VALUES ('{COUNTY}', '江南区', {whole})")
    conn.execute(
        "INSERT INTO subdistricts (subdistrict_code, county_code, name, kind, geom)"
        f" VALUES ('{SUBDISTRICT}', '{COUNTY}', '福建园街道', 'street', {whole})"
    )
    for code, name, box in (
        (C1, "一社区", (0, 0, 1000, 1000)),
        (C2, "二社区", (1000, 0, 2000, 1000)),
    ):
        conn.execute(
            "INSERT INTO communities (community_code, subdistrict_code, county_code, name,"
            f" kind, geom) VALUES ('{code}', '{SUBDISTRICT}', '{COUNTY}', '{name}',"
            f" 'community', {box_sql(box)})"
        )
    for grid in GRIDS:
        dedicated = grid.code.endswith("801")
        conn.execute(
            "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type,"
            " dedicated_kind, leaders, members, geom) VALUES"
            f" (%s, %s, %s, %s, %s, %s, %s, %s, {box_sql(grid.box)})",
            (
                grid.code,
                grid.community,
                COUNTY,
                f"网格{grid.code[-3:]}",
                "dedicated" if dedicated else "base",
                "school" if dedicated else None,
                grid.leaders,
                grid.members,
            ),
        )
    for community, box in COMPOUNDS:
        conn.execute(
            "INSERT INTO compounds (community_code, county_code, name, compound_type, geom)"
            f" VALUES (%s, %s, '小区', 'commercial', {box_sql(box)})",
            (community, COUNTY),
        )
    for building in BUILDINGS:
        insert_building(conn, building)
    conn.commit()


def insert_building(conn: psycopg.Connection, building: Building) -> None:
    conn.execute(
        "INSERT INTO buildings (building_code, community_code, county_code, building_use,"
        " floors, units, households, population, geom) VALUES"
        f" (%s, %s, %s, 'residential', 6, 2, %s, %s, {box_sql(building.box)})",
        (
            building.code,
            building.code[:12],
            COUNTY,
            building.households,
            building.population,
        ),
    )
