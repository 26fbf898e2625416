"""Change counters and collection versions (migration 0019, gis/ogc/versions.py) on a real
PostGIS: every change to a table a collection reads changes its version, once per county
and statement; writers never wait for each other on a counter; bulk loads bump once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest

from gis.ogc import versions
from gis.ogc.collections import COLLECTIONS, Collection

A, B = "450105", "450103"
SQUARE = "ST_Multi(ST_MakeEnvelope({x}, 22.80, {x} + 0.01, 22.81, 4326))"


@pytest.fixture
def conn(scratch_database: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(scratch_database, autocommit=True) as connection:
        for county, x in ((A, 108.30), (B, 108.40)):
            connection.execute(
                f"INSERT INTO districts VALUES (%s, %s, {SQUARE.format(x=x)})",
                (county, f"county {county}"),
            )
        yield connection


def version(url: str, collection: Collection, counties: list[str] | None = None) -> str:
    async def read() -> str:
        async with await psycopg.AsyncConnection.connect(url) as aconn:
            return await versions.collection_version(aconn, collection, counties)

    return asyncio.run(read())


def counters(conn: psycopg.Connection, table: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT county_code, sum(version) FROM change_counters WHERE table_name = %s"
        " GROUP BY county_code",
        (table,),
    ).fetchall()
    return {county: int(total) for county, total in rows}


def add_water(conn: psycopg.Connection, county: str, name: str = "pond") -> None:
    conn.execute(
        f"INSERT INTO water_areas (county_code, name, geom) VALUES (%s, %s, {SQUARE})".format(
            x=108.30
        ),
        (county, name),
    )


def test_every_table_a_collection_reads_has_the_counting_triggers(conn):
    counted = {
        table: sorted(events)
        for table, events in conn.execute(
            """
            SELECT c.relname, array_agg(DISTINCT e.event)
            FROM pg_trigger AS t
            JOIN pg_class AS c ON c.oid = t.tgrelid
            JOIN pg_proc AS p ON p.oid = t.tgfoid
            CROSS JOIN LATERAL (VALUES
                (CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' END),
                (CASE WHEN t.tgtype & 8 <> 0 THEN 'DELETE' END),
                (CASE WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' END),
                (CASE WHEN t.tgtype & 32 <> 0 THEN 'TRUNCATE' END)) AS e(event)
            WHERE p.proname = 'bump_change_counters' AND e.event IS NOT NULL
              -- statement-level (bit 0 clear) and AFTER (bit 1 clear)
              AND t.tgtype & 3 = 0
            GROUP BY c.relname
            """
        ).fetchall()
    }
    read = {table for source in COLLECTIONS.values() for table in source.tables}
    for table in read:
        kind = conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
        assert kind == ("r",), f"{table} is read by a collection but is not a table"
        assert counted.get(table) == ["DELETE", "INSERT", "TRUNCATE", "UPDATE"], table


def test_a_collection_over_a_view_names_the_views_tables():
    assert COLLECTIONS["events"].tables[0] == "events"
    assert "patrol_targets" in COLLECTIONS["street_patrols"].tables
    assert "grid_statistics" in COLLECTIONS["grids"].tables
    assert COLLECTIONS["buildings"].tables == ("buildings",)


def test_each_statement_bumps_each_county_it_touched_once(conn):
    add_water(conn, A)
    assert counters(conn, "water_areas") == {"000000": 0, A: 1}
    # one statement over two counties: one bump each, however many rows
    conn.execute(
        f"INSERT INTO water_areas (county_code, geom)"
        f" SELECT county, {SQUARE.format(x=108.30)}"
        f" FROM unnest(ARRAY['{A}', '{A}', '{B}', '{B}', '{B}']) AS county"
    )
    assert counters(conn, "water_areas") == {"000000": 0, A: 2, B: 1}
    conn.execute("UPDATE water_areas SET name = 'lake' WHERE county_code = %s", (B,))
    assert counters(conn, "water_areas") == {"000000": 0, A: 2, B: 2}
    # a statement that changes no row changes nothing
    conn.execute("UPDATE water_areas SET name = 'sea' WHERE false")
    conn.execute("DELETE FROM water_areas WHERE county_code = %s", (A,))
    assert counters(conn, "water_areas") == {"000000": 0, A: 3, B: 2}
    # TRUNCATE empties every county: the row every county's version includes
    conn.execute("TRUNCATE water_areas")
    assert counters(conn, "water_areas") == {"000000": 1, A: 3, B: 2}


def test_a_transaction_bumps_a_county_once_and_a_rollback_not_at_all(conn):
    with conn.transaction():
        add_water(conn, A)
        add_water(conn, A, "second")
        conn.execute("UPDATE water_areas SET name = 'third'")
    assert counters(conn, "water_areas")[A] == 1
    with pytest.raises(psycopg.errors.RaiseException), conn.transaction():
        add_water(conn, A)
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'changed my mind'; END $$")
    assert counters(conn, "water_areas")[A] == 1


def test_a_bulk_copy_bumps_once(conn):
    with conn.cursor().copy("COPY water_areas (county_code, geom) FROM STDIN") as copy:
        for _ in range(5000):
            copy.write_row(
                (A, "SRID=4326;MULTIPOLYGON(((108.3 22.8,108.31 22.8,108.3 22.81,108.3 22.8)))")
            )
    assert counters(conn, "water_areas") == {"000000": 0, A: 1}


def test_writers_never_wait_for_each_other_on_a_counter(conn, scratch_database):
    # An open transaction that bumped county A's counter, like a report not yet committed:
    # another connection's report in the same county goes through at once.
    with psycopg.connect(scratch_database) as holding:
        add_water(holding, A, "uncommitted")
        with psycopg.connect(scratch_database, autocommit=True) as other:
            other.execute("SET lock_timeout = '1s'")
            add_water(other, A, "committed")
        holding.commit()
    assert counters(conn, "water_areas")[A] == 2
    slots = conn.execute(
        "SELECT count(*) FROM change_counters WHERE table_name = 'water_areas'"
        " AND county_code = %s",
        (A,),
    ).fetchone()
    assert slots == (2,)


def test_the_version_changes_with_every_commit_to_any_table_it_reads(conn, scratch_database):
    water = COLLECTIONS["water_areas"]
    first = version(scratch_database, water)
    assert version(scratch_database, water) == first  # a read changes nothing
    add_water(conn, A)
    second = version(scratch_database, water)
    assert second != first
    events = COLLECTIONS["events"]
    before = version(scratch_database, events)
    # a category's name is part of no feature, but its public flag is: any change counts
    conn.execute("INSERT INTO event_categories VALUES ('99', NULL, '测试', 'test')")
    assert version(scratch_database, events) != before
    assert version(scratch_database, water) == second


def test_a_version_over_some_counties_ignores_the_others(conn, scratch_database):
    water = COLLECTIONS["water_areas"]
    only_a, only_b, every = (
        version(scratch_database, water, [A]),
        version(scratch_database, water, [B]),
        version(scratch_database, water),
    )
    add_water(conn, B)
    assert version(scratch_database, water, [A]) == only_a
    assert version(scratch_database, water, [B]) != only_b
    assert version(scratch_database, water) != every
    # what touches every county changes every county's version
    conn.execute("TRUNCATE water_areas")
    assert version(scratch_database, water, [A]) != only_a


def test_states_of_many_collections_agree_with_one_at_a_time(conn, scratch_database):
    add_water(conn, A)

    async def read() -> tuple[dict[str, versions.Version], dict[str, str]]:
        async with await psycopg.AsyncConnection.connect(scratch_database) as aconn:
            states = await versions.collection_states(aconn, list(COLLECTIONS.values()))
            one_by_one = {
                c.id: await versions.collection_version(aconn, c) for c in COLLECTIONS.values()
            }
            return states, one_by_one

    states, one_by_one = asyncio.run(read())
    assert {cid: state.tag for cid, state in states.items()} == one_by_one
    assert states["water_areas"].changed_at is not None


def test_the_cache_keeps_the_recently_used():
    cache: versions.VersionedCache[int] = versions.VersionedCache(size=2)
    cache.put("a", "1.1", 10)
    cache.put("b", "1.1", 20)
    assert cache.get("a") == ("1.1", 10)  # a is now the most recent
    cache.put("c", "1.1", 30)
    assert cache.get("b") is None
    assert len(cache) == 2
    cache.put("a", "1.2", 11)  # a newer version replaces the older
    assert cache.get("a") == ("1.2", 11)
