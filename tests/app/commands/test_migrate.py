"""Migrations run from an empty database to head, back to empty, and up again; the
database functions and triggers in the database are the ones their files define."""

from __future__ import annotations

import hashlib
import re

import psycopg

from app.commands.migrate import PROJECT_FUNCTIONS, downgrade, upgrade
from gis import sql
from tests.planters.databases import database


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def _functions(conn: psycopg.Connection) -> dict[str, str]:
    """Every project function (no extension's) by signature: its full definition."""
    rows = conn.execute(
        f"""
        SELECT oid::regprocedure::text, pg_get_functiondef(oid)
        FROM pg_proc WHERE oid IN ({PROJECT_FUNCTIONS})
        """
    ).fetchall()
    return dict(rows)


def _triggers(conn: psycopg.Connection) -> dict[str, str]:
    """Every trigger of the project's tables (no foreign-key internals): its definition."""
    rows = conn.execute(
        """
        SELECT t.tgname || ' ON ' || c.relname, pg_get_triggerdef(t.oid)
        FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace
        """
    ).fetchall()
    return dict(rows)


def _defined(pattern: str) -> dict[str, str]:
    """What the function files create, by name: the file that creates it."""
    return {
        " ON ".join(match) if isinstance(match, tuple) else match: name
        for name in sql.functions()
        for match in re.findall(pattern, sql.function(name))
    }


FUNCTION = r"CREATE OR REPLACE FUNCTION\s+(\w+)\s*\("
TRIGGER = r"CREATE OR REPLACE TRIGGER\s+(\w+)\s.*?\sON\s+(\w+)\s"


def test_up_down_up(admin_url):
    with database(admin_url, "onemap_test_migrations") as url:
        assert upgrade(url) == sql.functions()  # a new database gets every file
        expected = {
            "districts",
            "subdistricts",
            "communities",
            "grids",
            "compounds",
            "buildings",
            "service_centers",
            "events",
            "patrol_tracks",
            "streets",
            "event_history",
            "idempotency_keys",
            "walk_nodes",
            "walk_edges",
        }
        assert expected <= _tables(url)
        with psycopg.connect(url) as conn:
            at_head = _functions(conn), _triggers(conn)
        assert len(at_head[0]) == len(_defined(FUNCTION))
        downgrade(url)
        assert _tables(url) & expected == set()
        with psycopg.connect(url) as conn:
            assert _functions(conn) == {} and _triggers(conn) == {}
        upgrade(url)
        assert expected <= _tables(url)
        with psycopg.connect(url) as conn:
            assert (_functions(conn), _triggers(conn)) == at_head
        # Halfway down, the functions go too (they are written against head's tables);
        # back at head they return, every file applied again.
        downgrade(url, "0005")
        with psycopg.connect(url) as conn:
            assert _functions(conn) == {} and _triggers(conn) == {}
        assert upgrade(url) == sql.functions()
        with psycopg.connect(url) as conn:
            assert (_functions(conn), _triggers(conn)) == at_head


def test_every_geometry_column_has_a_spatial_index(database_url):
    with psycopg.connect(database_url) as conn:
        unindexed = conn.execute(
            """
            SELECT f_table_name, f_geometry_column FROM geometry_columns gc
            JOIN pg_tables t ON t.schemaname = gc.f_table_schema AND t.tablename = gc.f_table_name
            -- tables only: a view's computed geometry (public_events) is read through
            -- its table's index
            WHERE f_table_schema = 'public' AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                JOIN pg_class ix ON ix.oid = i.indexrelid
                JOIN pg_am am ON am.oid = ix.relam
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
                WHERE t.relname = gc.f_table_name AND a.attname = gc.f_geometry_column
                  AND am.amname IN ('gist', 'spgist', 'brin'))
            """
        ).fetchall()
    assert unindexed == []


def test_every_table_carries_the_county_code(database_url):
    with psycopg.connect(database_url) as conn:
        missing = conn.execute(
            """
            SELECT t.tablename FROM pg_tables t
            WHERE t.schemaname = 'public'
              AND t.tablename NOT IN ('spatial_ref_sys', 'alembic_version', 'function_files',
                                      'event_categories', 'rate_limit_hits', 'instance_secrets')
              AND NOT EXISTS (SELECT 1 FROM information_schema.columns c
                              WHERE c.table_name = t.tablename AND c.column_name = 'county_code')
            """
        ).fetchall()
    assert missing == []


def test_every_function_and_trigger_in_the_database_is_its_file(scratch_database):
    functions, triggers = _defined(FUNCTION), _defined(TRIGGER)
    with psycopg.connect(scratch_database) as conn:
        # Nothing in the database that no file defines, and nothing defined that is missing.
        in_database = conn.execute(
            f"SELECT proname, prosrc FROM pg_proc WHERE oid IN ({PROJECT_FUNCTIONS})"
        ).fetchall()
        assert sorted(name for name, _ in in_database) == sorted(functions)
        assert sorted(_triggers(conn)) == sorted(triggers)
        # Each body is its file's, character for character.
        for name, body in in_database:
            assert body in sql.function(functions[name]), name
        # And running every file again changes no definition: signature, volatility,
        # language, body and each trigger's timing, events and arguments are the files'.
        before = _functions(conn), _triggers(conn)
        for name in sql.functions():
            conn.execute(sql.function(name).encode())
        assert (_functions(conn), _triggers(conn)) == before
        conn.rollback()


def test_migrating_twice_changes_nothing(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        before = _functions(conn), _triggers(conn)
        recorded = dict(conn.execute("SELECT name, sha256 FROM function_files").fetchall())
    assert recorded == {
        name: hashlib.sha256(sql.function(name).encode()).hexdigest() for name in sql.functions()
    }
    assert upgrade(scratch_database) == []
    with psycopg.connect(scratch_database) as conn:
        assert (_functions(conn), _triggers(conn)) == before
        # A file whose text changed is applied again, alone; one no longer in the tree
        # is forgotten.
        conn.execute(
            "UPDATE function_files SET sha256 = repeat('0', 64) WHERE name = 'events/intake_event'"
        )
        conn.execute("INSERT INTO function_files (name, sha256) VALUES ('gone/x', repeat('0', 64))")
    assert upgrade(scratch_database) == ["events/intake_event"]
    assert upgrade(scratch_database) == []
    with psycopg.connect(scratch_database) as conn:
        assert (_functions(conn), _triggers(conn)) == before
        assert dict(conn.execute("SELECT name, sha256 FROM function_files").fetchall()) == recorded
