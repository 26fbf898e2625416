"""The schema can be distributed by county on Citus (gis/distribution.py): read from the
catalogue of a migrated database, and the checker shown to catch each kind of violation on
a small schema of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from gis.distribution import CLASSES, TABLES, Placement, citus_ddl, violations


def test_every_table_of_the_migrated_schema_is_distributable_by_county(database_url):
    with psycopg.connect(database_url) as conn:
        found = violations(conn)
    assert [str(v) for v in found] == []


def test_a_walking_edge_cannot_join_a_node_of_another_county(db):
    # The foreign keys carry the county: a row and the row it points at share a node.
    square = "ST_Multi(ST_MakeEnvelope(108, 22, 109, 23, 4326))"
    db.execute(f"INSERT INTO districts VALUES ('459901', 'A', {square}), ('459902', 'B', {square})")
    node = db.execute(
        "INSERT INTO walk_nodes (county_code, component, geom)"
        " VALUES ('459901', 1, ST_Point(108.5, 22.5, 4326)) RETURNING node_id"
    ).fetchone()[0]
    edge = (
        "INSERT INTO walk_edges (county_code, source, target, length_m, highway, component,"
        " geom) VALUES (%s, %s, %s, 10, 'footway', 1,"
        " ST_MakeLine(ST_Point(108.5, 22.5, 4326), ST_Point(108.5001, 22.5, 4326)))"
    )
    db.execute(edge, ("459901", node, node))
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="walk_edges_source_fkey"):
        db.execute(edge, ("459902", node, node))


def test_the_ddl_distributes_a_table_after_every_table_it_references(database_url):
    with psycopg.connect(database_url) as conn:
        references = conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
            " AND conrelid <> confrelid"
        ).fetchall()
    ddl = citus_ddl()
    order = re.findall(r"create_(?:reference|distributed)_table\('(\w+)'", ddl)
    placed = {t.table for t in TABLES if t.placement is not Placement.LOCAL}
    assert sorted(order) == sorted(placed)
    late = [
        (table, target)
        for table, target in references
        if table in placed and order.index(target) > order.index(table)
    ]
    assert late == []
    # one co-location group, anchored on the first distributed table
    distributed = re.findall(r"create_distributed_table\('(\w+)', 'county_code'(.*?)\)", ddl)
    assert distributed[0][1] == ""
    assert {colocation for _, colocation in distributed[1:]} == {
        f", colocate_with => '{distributed[0][0]}'"
    }


def test_every_class_gives_its_reason():
    assert all(t.reason and len(t.reason) <= 100 for t in TABLES)
    assert len(CLASSES) == len(TABLES)


# A small schema with one table of each kind of trouble, beside tables that are fine.
SCRATCH = "distributable_check"
SCRATCH_DDL = f"""
CREATE SCHEMA {SCRATCH};
SET LOCAL search_path = {SCRATCH};
CREATE TABLE counties (county_code text PRIMARY KEY);
CREATE TABLE kinds (kind text PRIMARY KEY);
CREATE TABLE ledger (entry bigint PRIMARY KEY);
CREATE TABLE zones (zone_code text, county_code text REFERENCES counties,
                    PRIMARY KEY (zone_code, county_code));
CREATE TABLE plots (plot_code text, county_code text REFERENCES counties,
                    zone_code text, kind text REFERENCES kinds,
                    PRIMARY KEY (plot_code, county_code),
                    CONSTRAINT plots_zone_fkey FOREIGN KEY (zone_code, county_code)
                        REFERENCES zones (zone_code, county_code));
-- the kinds of trouble
CREATE TABLE stray (id bigint PRIMARY KEY);
CREATE TABLE countyless (id bigint PRIMARY KEY);
CREATE TABLE keyed_alone (plot_code text PRIMARY KEY, county_code text);
CREATE TABLE unique_alone (id bigint, county_code text, tag text,
                           PRIMARY KEY (id, county_code),
                           CONSTRAINT unique_alone_tag_key UNIQUE (tag));
CREATE TABLE indexed_alone (id bigint, county_code text, tag text,
                            PRIMARY KEY (id, county_code));
CREATE UNIQUE INDEX indexed_alone_tag_idx ON indexed_alone (tag);
CREATE TABLE excluded_alone (id bigint, county_code text, tag text,
                             PRIMARY KEY (id, county_code),
                             CONSTRAINT excluded_alone_tag_excl EXCLUDE USING btree (tag WITH =));
CREATE TABLE excluded_by_county (id bigint, county_code text, tag text,
                                 PRIMARY KEY (id, county_code),
                                 CONSTRAINT excluded_by_county_excl
                                     EXCLUDE USING btree (county_code WITH =, tag WITH =));
CREATE UNIQUE INDEX plots_plot_idx ON plots (plot_code);
CREATE TABLE notes (id bigint, county_code text, zone_code text, other_county text,
                    PRIMARY KEY (id, county_code),
                    CONSTRAINT notes_zone_fkey FOREIGN KEY (zone_code)
                        REFERENCES plots (plot_code));
CREATE TABLE crossed (id bigint, county_code text, zone_code text,
                      PRIMARY KEY (id, county_code),
                      CONSTRAINT crossed_zone_fkey FOREIGN KEY (county_code, zone_code)
                          REFERENCES zones (zone_code, county_code));
CREATE TABLE renamed (id bigint, county_code text, zone_code text,
                      PRIMARY KEY (id, county_code),
                      CONSTRAINT renamed_zone_fkey FOREIGN KEY (zone_code, county_code)
                          REFERENCES zones (zone_code, county_code) ON UPDATE CASCADE);
CREATE TABLE shared (id bigint PRIMARY KEY, plot_code text, county_code text,
                     CONSTRAINT shared_plot_fkey FOREIGN KEY (plot_code, county_code)
                         REFERENCES plots (plot_code, county_code));
CREATE TABLE shared_ledger (id bigint PRIMARY KEY,
                            CONSTRAINT shared_ledger_entry_fkey FOREIGN KEY (id)
                                REFERENCES ledger (entry));
CREATE TABLE local_plots (id bigint PRIMARY KEY, plot_code text, county_code text,
                          CONSTRAINT local_plots_plot_fkey FOREIGN KEY (plot_code, county_code)
                              REFERENCES plots (plot_code, county_code));
"""
SCRATCH_CLASSES = {
    "counties": Placement.REFERENCE,
    "kinds": Placement.REFERENCE,
    "ledger": Placement.LOCAL,
    "zones": Placement.DISTRIBUTED,
    "plots": Placement.DISTRIBUTED,
    "countyless": Placement.DISTRIBUTED,
    "keyed_alone": Placement.DISTRIBUTED,
    "unique_alone": Placement.DISTRIBUTED,
    "indexed_alone": Placement.DISTRIBUTED,
    "excluded_alone": Placement.DISTRIBUTED,
    "excluded_by_county": Placement.DISTRIBUTED,
    "notes": Placement.DISTRIBUTED,
    "crossed": Placement.DISTRIBUTED,
    "renamed": Placement.DISTRIBUTED,
    "shared": Placement.REFERENCE,
    "shared_ledger": Placement.REFERENCE,
    "local_plots": Placement.LOCAL,
    "gone": Placement.REFERENCE,
}


@pytest.fixture
def scratch_schema(db: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """The troubled schema, inside the test's transaction (rolled back afterwards)."""
    db.execute(SCRATCH_DDL)
    yield db


def _named(conn: psycopg.Connection, classes=SCRATCH_CLASSES) -> dict[tuple[str, str | None], str]:
    return {
        (v.table, v.constraint): v.problem
        for v in violations(conn, classes=classes, schema=SCRATCH)
    }


def test_the_checker_names_each_table_and_constraint_in_the_way(scratch_schema):
    found = _named(scratch_schema)
    assert set(found) == {
        ("stray", None),
        ("gone", None),
        ("countyless", None),
        ("keyed_alone", "keyed_alone_pkey"),
        ("unique_alone", "unique_alone_tag_key"),
        ("indexed_alone", "indexed_alone_tag_idx"),
        ("excluded_alone", "excluded_alone_tag_excl"),
        ("plots", "plots_plot_idx"),
        ("notes", "notes_zone_fkey"),
        ("crossed", "crossed_zone_fkey"),
        ("renamed", "renamed_zone_fkey"),
        ("shared", "shared_plot_fkey"),
        ("shared_ledger", "shared_ledger_entry_fkey"),
        ("local_plots", "local_plots_plot_fkey"),
    }
    assert found["stray", None] == "is not classified in gis/distribution.py"
    assert found["gone", None] == "is classified but is not in the database"
    assert found["countyless", None] == "is distributed but has no county_code"
    assert found["keyed_alone", "keyed_alone_pkey"] == "primary key without county_code"
    assert found["unique_alone", "unique_alone_tag_key"] == "unique constraint without county_code"
    assert found["indexed_alone", "indexed_alone_tag_idx"] == "unique index without county_code"
    assert found["excluded_alone", "excluded_alone_tag_excl"] == (
        "exclusion constraint without county_code"
    )
    assert found["notes", "notes_zone_fkey"].startswith("references plots without county_code")
    assert found["crossed", "crossed_zone_fkey"].startswith("references zones without county_code")
    assert found["renamed", "renamed_zone_fkey"] == (
        "holds county_code and cascades an update or sets null or default on delete,"
        " which Citus refuses"
    )
    assert found["shared", "shared_plot_fkey"] == (
        "a reference table references plots, a distributed one"
    )
    assert found["shared_ledger", "shared_ledger_entry_fkey"] == (
        "a reference table references ledger, a local one"
    )
    assert found["local_plots", "local_plots_plot_fkey"] == (
        "a local table references plots, a distributed one"
    )


def test_the_checker_passes_the_schema_once_each_trouble_is_mended(scratch_schema):
    scratch_schema.execute(
        f"""
        SET LOCAL search_path = {SCRATCH};
        DROP TABLE stray, countyless, keyed_alone, unique_alone, indexed_alone,
                   excluded_alone, notes, crossed, renamed, shared, shared_ledger, local_plots;
        DROP INDEX plots_plot_idx;
        """
    )
    mended = {
        name: placement
        for name, placement in SCRATCH_CLASSES.items()
        if name in {"counties", "kinds", "ledger", "zones", "plots", "excluded_by_county"}
    }
    assert _named(scratch_schema, mended) == {}
