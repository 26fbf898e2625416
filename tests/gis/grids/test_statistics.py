"""Grid statistics on the planted layout: the counts equal hand-computed values, and they
follow every insert, move, change and delete of buildings, compounds and grids."""

from __future__ import annotations

import asyncio
import json
import threading

import psycopg
import pytest

from gis.codes import InvalidCode
from gis.errors import NotFound
from gis.grids import statistics
from gis.ogc import features
from tests.planters import grid_layout as layout
from tests.planters.grid_layout import (
    C1,
    C2,
    GRID_FIGURES,
    SUBDISTRICT,
    A,
    B,
    Building,
    C,
    D,
    F,
)


@pytest.fixture
def conn(scratch_database: str):
    with psycopg.connect(scratch_database) as connection:
        layout.plant(connection)
        yield connection


def grid_figures(conn: psycopg.Connection) -> dict[str, tuple[int, int, int, int]]:
    rows = conn.execute(
        "SELECT rtrim(grid_code), households, population, buildings, compounds FROM grid_statistics"
    )
    return {code: tuple(figures) for code, *figures in rows}


def expect(conn: psycopg.Connection, **changes: tuple[int, int, int, int]) -> None:
    """The statistics equal the planted figures with ``changes`` (grid letter → figures),
    and equal a fresh count."""
    names = {"A": A, "B": B, "C": C, "D": D, "F": F}
    wanted = dict(GRID_FIGURES) | {names[letter]: value for letter, value in changes.items()}
    assert grid_figures(conn) == wanted
    assert statistics.drift(conn) == []


def test_counts_equal_hand_computed_values(conn):
    expect(conn)
    c1 = statistics.figures(conn, C1)
    assert (c1.households, c1.population, c1.buildings, c1.compounds, c1.grids) == (
        1410,
        3850,
        7,
        1,
        5,
    )
    c2 = statistics.figures(conn, C2)
    assert (c2.households, c2.population, c2.buildings, c2.compounds, c2.grids) == (
        770,
        1950,
        2,
        1,
        2,
    )
    subdistrict = statistics.figures(conn, SUBDISTRICT)
    assert (subdistrict.households, subdistrict.buildings, subdistrict.grids) == (2180, 9, 7)
    grid = statistics.figures(conn, A)
    assert (grid.code, grid.households, grid.grids) == (A, 400, None)


def test_figures_refuse_other_levels_and_unknown_codes(conn):
    with pytest.raises(InvalidCode, match="building"):
        statistics.figures(conn, f"{C1}00001")
    with pytest.raises(NotFound):
        statistics.figures(conn, f"{C1}009")


def test_inserting_a_building(conn):
    layout.insert_building(conn, Building(f"{C1}00008", (800, 200, 820, 220), 40, 90))
    expect(conn, B=(290, 1090, 2, 0))


def test_moving_a_building_to_another_grid(conn):
    conn.execute(
        f"UPDATE buildings SET geom = {layout.box_sql((100, 800, 120, 820))}"
        " WHERE building_code = %s",
        (f"{C1}00001",),
    )
    expect(conn, A=(50, 150, 1, 1), C=(550, 1400, 2, 0))


def test_changing_a_building_in_place_and_renaming_it(conn):
    conn.execute(
        "UPDATE buildings SET households = households + 10, population = population + 20"
        " WHERE building_code = %s",
        (f"{C2}00001",),
    )
    conn.execute("UPDATE buildings SET name = '一号楼'")  # moves nothing
    expect(conn, F=(460, 1120, 1, 1))


def test_deleting_buildings(conn):
    conn.execute(
        "DELETE FROM buildings WHERE building_code IN (%s, %s)", (f"{C2}00001", f"{C1}00002")
    )
    expect(conn, F=(0, 0, 0, 1))  # the stray b2 was counted nowhere


def test_moving_a_compound(conn):
    conn.execute(
        f"UPDATE compounds SET geom = {layout.box_sql((600, 100, 700, 200))}"
        " WHERE community_code = %s",
        (C1,),
    )
    expect(conn, A=(400, 1050, 2, 0), B=(250, 1000, 1, 1))


def test_reshaping_a_grid_moves_buildings_from_its_neighbour(conn):
    # C grows over b3's share in D: b3's point now lies in both, and C's lower code wins.
    conn.execute(
        f"UPDATE grids SET geom = {layout.box_sql((0, 500, 540, 1000))} WHERE grid_code = %s",
        (C,),
    )
    expect(conn, C=(500, 1200, 2, 0), D=(260, 600, 1, 0))


def test_a_new_grid_takes_a_stray_building_and_gives_it_back_when_deleted(conn):
    new_grid = f"{C1}005"
    conn.execute(
        "INSERT INTO grids (grid_code, community_code, county_code, name, grid_type, geom)"
        f" VALUES (%s, %s, '450105', '新网格', 'base', {layout.box_sql((500, 900, 900, 1000))})",
        (new_grid, C1),
    )
    assert grid_figures(conn)[new_grid] == (30, 80, 1, 0)
    assert statistics.drift(conn) == []
    assert statistics.figures(conn, C1).buildings == 8
    conn.execute("DELETE FROM grids WHERE grid_code = %s", (new_grid,))
    expect(conn)


def test_a_grid_renumbered_keeps_its_figures(conn):
    conn.execute("UPDATE grids SET grid_code = %s WHERE grid_code = %s", (f"{C1}009", D))
    figures = grid_figures(conn)
    assert D not in figures
    assert figures[f"{C1}009"] == GRID_FIGURES[D]
    assert statistics.drift(conn) == []


def test_bulk_statements_take_the_indexed_path(conn):
    # 1,500 rows in one statement (over the 1,000-row threshold): points indexed once.
    conn.execute(
        "INSERT INTO buildings (building_code, community_code, county_code, building_use,"
        " floors, households, population, geom)"
        " SELECT %s || lpad((100 + i)::text, 5, '0'), %s, '450105', 'residential', 3, 2, 5,"
        "        ST_Translate(b.geom, 0.00001 * (i %% 50), 0.00001 * (i / 50))"
        " FROM buildings AS b, generate_series(1, 1500) AS i WHERE b.building_code = %s",
        (C2, C2, f"{C2}00001"),
    )
    expect(conn, F=(450 + 3000, 1100 + 7500, 1 + 1500, 1))
    conn.execute("DELETE FROM buildings WHERE building_code > %s", (f"{C2}00099",))
    expect(conn)


def test_truncate_zeroes_and_refresh_repairs(conn):
    conn.execute("TRUNCATE buildings")
    assert {figures[:3] for figures in grid_figures(conn).values()} == {(0, 0, 0)}
    conn.execute("TRUNCATE compounds CASCADE")
    assert statistics.drift(conn) == []
    # Rows loaded with triggers bypassed leave the table behind until refreshed.
    conn.execute("SET session_replication_role = replica")
    for building in layout.BUILDINGS:
        layout.insert_building(conn, building)
    conn.execute("SET session_replication_role = DEFAULT")
    assert statistics.drift(conn) != []
    assert statistics.refresh(conn) == len(GRID_FIGURES)  # every grid holds a building
    assert statistics.refresh(conn) == 0
    assert statistics.drift(conn) == []


def test_concurrent_writers_are_applied_one_after_the_other(scratch_database, conn):
    """A building inserted while another transaction redraws grids is placed against the
    committed grids: the advisory lock orders the two maintenance steps."""
    conn.commit()
    redraw = psycopg.connect(scratch_database)
    try:
        redraw.execute(
            f"UPDATE grids SET geom = {layout.box_sql((0, 500, 540, 1000))} WHERE grid_code = %s",
            (C,),
        )  # holds the statistics lock until commit
        done = threading.Event()

        def insert() -> None:
            with psycopg.connect(scratch_database) as other:
                layout.insert_building(other, Building(f"{C1}00009", (505, 700, 515, 710), 7, 9))
                other.commit()
            done.set()

        writer = threading.Thread(target=insert)
        writer.start()
        assert not done.wait(1.0), "the insert should wait for the redraw's lock"
        redraw.commit()
        writer.join(30)
        assert done.is_set()
    finally:
        redraw.close()
    conn.rollback()
    # The new building (x 505–515) lies in C's new strip, which also overlaps D: C wins.
    assert grid_figures(conn)[C] == (507, 1209, 3, 0)
    assert statistics.drift(conn) == []


def test_statistics_are_properties_of_the_ogc_collections(scratch_database, conn):
    async def fetch() -> tuple[dict, dict, dict, int]:
        async with await psycopg.AsyncConnection.connect(scratch_database) as aconn:
            grids = await features.items(aconn, "grids", limit=100)
            one = await features.item(aconn, "communities", C1)
            subdistricts = await features.items(aconn, "subdistricts")
            filtered = await features.items(aconn, "grids", filters={"households": "400"})
            assert [f["id"] for f in json.loads(filtered.features)] == [A]
            return (
                {f["id"]: f["properties"] for f in json.loads(grids.features)},
                json.loads(one)["properties"],
                json.loads(subdistricts.features)[0]["properties"],
                filtered.number_matched,
            )

    grids, community, subdistrict, matched = asyncio.run(fetch())
    for code, (households, population, buildings, compounds) in GRID_FIGURES.items():
        served = grids[code]
        assert (
            served["households"],
            served["population"],
            served["buildings"],
            served["compounds"],
        ) == (households, population, buildings, compounds)
    assert (community["households"], community["grids"], community["compounds"]) == (1410, 5, 1)
    assert (subdistrict["population"], subdistrict["buildings"]) == (5800, 9)
    assert matched == 1


def test_the_demo_district_statistics_are_current(db, demo_district):
    assert statistics.drift(db) == []
    total = db.execute("SELECT sum(buildings), sum(households) FROM grid_statistics").fetchone()
    assert total == (
        demo_district["buildings"],
        db.execute("SELECT sum(households) FROM buildings").fetchone()[0],
    )
