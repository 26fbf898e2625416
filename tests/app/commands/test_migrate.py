"""Migrations run from an empty database to head, back to empty, and up again."""

from __future__ import annotations

import psycopg

from app.commands.migrate import downgrade, upgrade


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_up_down_up(admin_url):
    name = "onemap_test_migrations"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
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
        downgrade(url)
        assert _tables(url) & expected == set()
        upgrade(url)
        assert expected <= _tables(url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_geometry_column_has_a_spatial_index(database_url):
    with psycopg.connect(database_url) as conn:
        unindexed = conn.execute(
            """
            SELECT f_table_name, f_geometry_column FROM geometry_columns gc
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
              AND t.tablename NOT IN ('spatial_ref_sys', 'alembic_version', 'event_categories')
              AND NOT EXISTS (SELECT 1 FROM information_schema.columns c
                              WHERE c.table_name = t.tablename AND c.column_name = 'county_code')
            """
        ).fetchall()
    assert missing == []
