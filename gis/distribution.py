"""Where each table lives when onemap runs on Citus (distributed PostgreSQL).

A province or the country is many counties, and nearly everything onemap does is about one
county: its grids, its buildings, its events, its patrols. So the county's tables are
*distributed by* ``county_code``: Citus splits them into shards by a hash of the county and
keeps the shards of one county of every such table on the same node (they are *co-located*),
so a county's joins, foreign keys and transactions stay on one node.

Small tables that every county's rows point at, or that are looked up before the county is
known, are *reference* tables: Citus keeps a whole copy on every node. Bookkeeping that
only the coordinator (the node the application connects to) reads stays *local* to it.

That puts rules on the schema, which :func:`violations` reads from the catalogue (a test
runs it on every migrated database, tests/gis/test_distributable.py):

- every table and materialized view is classified here (:data:`TABLES`);
- a distributed table has ``county_code``, and each of its primary keys, unique
  constraints, unique indexes and exclusion constraints includes it, since only the node
  holding a county can check a key and it holds that county alone;
- a foreign key between two distributed tables carries ``county_code`` on both sides, in
  the same position, so that the referenced row is in the same county (on the same node);
- a foreign key holding ``county_code`` neither cascades an update nor sets null or a
  default on delete (either would rewrite the distribution column, which Citus refuses);
- nothing but a distributed table references a distributed table (a reference table's
  copy on every node cannot check rows that live on one), and only local tables reference
  local ones.

:func:`citus_ddl` renders the statements that distribute a migrated database
(docs/scaling.md shows them and what a real Citus cluster said about them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import psycopg

DISTRIBUTION_COLUMN = "county_code"


class Placement(Enum):
    """Where Citus keeps a table's rows."""

    DISTRIBUTED = "distributed by county_code"
    REFERENCE = "reference (a copy on every node)"
    LOCAL = "local to the coordinator"


@dataclass(frozen=True)
class TableClass:
    """One table's placement and why."""

    table: str
    placement: Placement
    reason: str


_D, _R, _L = Placement.DISTRIBUTED, Placement.REFERENCE, Placement.LOCAL

# In the order citus_ddl distributes them: a table after those it references.
TABLES: tuple[TableClass, ...] = (
    # Reference: small, read by every county's queries, or found by a secret before the
    # county is known.
    TableClass("districts", _R, "one row per county; every county's table references it"),
    TableClass(
        "event_categories",
        _R,
        "the national category tree: no county; events and rules reference it",
    ),
    TableClass(
        "instance_secrets", _R, "one row; event_reporter_key reads it beside the events it signs"
    ),
    TableClass(
        "departments", _R, "tens per county; events, rules, people and tokens reference them"
    ),
    TableClass(
        "patrol_teams",
        _R,
        "tens per county; tokens (found before the county) and tracks reference them",
    ),
    TableClass(
        "dispatch_rules",
        _R,
        "tens per county; intake reads them for every event and events reference them",
    ),
    TableClass(
        "patrol_rules",
        _R,
        "a few rows per county of configuration, joined by every county's coverage",
    ),
    TableClass(
        "patrol_standards",
        _R,
        "a few rows per county of configuration, joined by every county's coverage",
    ),
    TableClass("people", _R, "signing in finds a person by login before the county is known"),
    TableClass(
        "person_grids",
        _R,
        "a person's grids: read at sign-in and by the events policy on every node",
    ),
    TableClass("patrol_team_members", _R, "who is in a team: read with the person at sign-in"),
    TableClass(
        "patrol_team_grids", _R, "a team's grids: read with its token before the county is known"
    ),
    TableClass("api_tokens", _R, "found by the token's hash before the county is known"),
    TableClass("sessions", _R, "found by the cookie's hash before the county is known"),
    # Distributed by county_code, co-located: a county's rows of all of them on one node.
    TableClass("subdistricts", _D, "a county's townships and streets (街道)"),
    TableClass("communities", _D, "a county's communities; reference their subdistrict"),
    TableClass("grids", _D, "a county's grids: the unit of governance"),
    TableClass("grid_statistics", _D, "one row per grid, kept by triggers on the county's places"),
    TableClass("compounds", _D, "a county's residential compounds"),
    TableClass("buildings", _D, "the largest place table: a county's buildings"),
    TableClass("service_centers", _D, "a county's service centres"),
    TableClass("streets", _D, "a county's streets, patrol targets and network source"),
    TableClass("water_areas", _D, "a county's water, for the walking network's bridges"),
    TableClass("walk_nodes", _D, "a county's walking network: routing stays in one county"),
    TableClass("walk_edges", _D, "a county's walking network: routing stays in one county"),
    TableClass("service_areas", _D, "a centre's walking areas, in its county"),
    TableClass("service_area_queue", _D, "centres of a county waiting for their areas"),
    TableClass("events", _D, "reports placed in a county's grids: the busiest writes"),
    TableClass("event_history", _D, "every transition of a county's events"),
    TableClass("event_photos", _D, "an event's photos, with the event"),
    TableClass("patrol_uploads", _D, "a team's uploads, in the team's county"),
    TableClass("patrol_sources", _D, "the files of an upload"),
    TableClass("patrol_tracks", _D, "the tracks patrols walked in a county"),
    TableClass("patrol_stretches", _D, "a track cut into stretches"),
    TableClass("patrol_track_chunks", _D, "a track cut into chunks for coverage and blind spots"),
    TableClass("patrol_coverage_queue", _D, "a county's tracks waiting to be counted"),
    TableClass("patrol_targets", _D, "what a county's patrols should pass"),
    TableClass("patrolled_targets", _D, "what a county's patrols passed, by month"),
    TableClass("patrol_target_builds", _D, "one row per county: when its targets were built"),
    TableClass("idempotency_keys", _D, "written with the county's event or upload it answered"),
    TableClass(
        "change_counters",
        _D,
        "what changed in a county, bumped with its rows; read per county for the caches",
    ),
    # Local to the coordinator.
    TableClass("spatial_ref_sys", _L, "PostGIS's own: CREATE EXTENSION makes it on every node"),
    TableClass("alembic_version", _L, "the migration the schema is at: read by `onemap migrate`"),
    TableClass("function_files", _L, "which function files were applied: read by `onemap migrate`"),
    TableClass(
        "rate_limit_hits",
        _L,
        "a counter hit on every request: a copy per node would make each a 2PC",
    ),
    TableClass("admin_log", _L, "the instance's audit log; its entries may have no county"),
    TableClass(
        "walk_components",
        _L,
        "a materialized view (Citus distributes none), refreshed on the coordinator",
    ),
)

CLASSES: Mapping[str, Placement] = {t.table: t.placement for t in TABLES}


@dataclass(frozen=True)
class Violation:
    """A table or constraint that keeps the schema from being distributed by county."""

    table: str
    constraint: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.constraint}" if self.constraint else self.table
        return f"{where}: {self.problem}"


# What a real Citus cluster (13.2) asked for, beyond the table functions:
# - triggers on a distributed table are refused unless allowed (they then run on the
#   node that holds the shard, beside the rows they read and write);
# - a Citus DDL statement after another in one transaction must not open a connection per
#   shard;
# - a local table that references a new reference table is turned into a "Citus local"
#   table, which the views over onemap's tables prevent, and a table can be distributed
#   only once the tables it references are: so the foreign keys are set aside first and
#   put back at the end, when Citus checks each against its rules.
_DDL_BEFORE = r"""BEGIN;
SET LOCAL citus.enable_unsafe_triggers TO on;
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
CREATE TEMP TABLE onemap_foreign_keys ON COMMIT DROP AS
SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace;
DO $$
DECLARE k record;
BEGIN
    FOR k IN SELECT * FROM onemap_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.table_name, k.conname);
    END LOOP;
END $$;"""

_DDL_AFTER = r"""DO $$
DECLARE k record;
BEGIN
    FOR k IN SELECT * FROM onemap_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                       k.table_name, k.conname, k.definition);
    END LOOP;
END $$;
COMMIT;"""


def citus_ddl(tables: tuple[TableClass, ...] = TABLES) -> str:
    """The statements that distribute a migrated onemap database on a Citus coordinator.

    Run once, in one transaction, after ``CREATE EXTENSION citus``, the worker nodes
    added and ``onemap migrate`` (the session's settings last as long as the
    transaction). Reference tables come first, since distributed tables reference them;
    the first distributed table anchors the co-location group the others join, so that a
    county's rows of every distributed table are on the same node.
    """
    lines = [
        "-- onemap on Citus: gis/distribution.py renders this; docs/scaling.md explains it.",
        _DDL_BEFORE,
    ]
    anchor = None
    for entry in tables:
        if entry.placement is Placement.REFERENCE:
            lines.append(f"SELECT create_reference_table('{entry.table}');  -- {entry.reason}")
        elif entry.placement is Placement.DISTRIBUTED:
            colocation = f", colocate_with => '{anchor}'" if anchor else ""
            lines.append(
                f"SELECT create_distributed_table('{entry.table}', '{DISTRIBUTION_COLUMN}'"
                f"{colocation});  -- {entry.reason}"
            )
            anchor = anchor or entry.table
        else:
            lines.append(f"-- {entry.table} stays on the coordinator: {entry.reason}")
    lines.append(_DDL_AFTER)
    return "\n".join(lines) + "\n"


# Each relation of the schema that a class must be given: tables, partitioned tables and
# materialized views.
_RELATIONS = """
SELECT c.relname FROM pg_class AS c
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
ORDER BY 1
"""

# Unique indexes (those of primary keys and unique constraints too) and exclusion
# constraints, with the constraint's name where there is one, and whether the
# distribution column is a key column of it (for an exclusion constraint: compared by
# equality, so that two rows in conflict are always in the same county).
_KEYS = """
SELECT t.relname, coalesce(k.conname, ix.relname),
       CASE WHEN k.contype = 'p' THEN 'primary key'
            WHEN k.contype = 'u' THEN 'unique constraint'
            WHEN k.contype = 'x' THEN 'exclusion constraint'
            ELSE 'unique index' END,
       EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS u(attnum, n)
               JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = u.attnum
               WHERE a.attname = %(column)s
                 AND (k.contype IS DISTINCT FROM 'x'
                      OR k.conexclop[u.n] IN (SELECT o.oid FROM pg_operator AS o
                                              WHERE o.oprname = '=')))
FROM pg_index AS i
JOIN pg_class AS t ON t.oid = i.indrelid
JOIN pg_class AS ix ON ix.oid = i.indexrelid
LEFT JOIN pg_constraint AS k ON k.conindid = i.indexrelid AND k.conrelid = t.oid
                            AND k.contype IN ('p', 'u', 'x')
WHERE t.relnamespace = %(schema)s::regnamespace AND (i.indisunique OR k.contype = 'x')
ORDER BY 1, 2
"""

# Foreign keys, with the position of the distribution column on either side (NULL when
# it is not there), and whether an update cascades or a delete sets null or default.
_FOREIGN_KEYS = """
SELECT src.relname, k.conname, dst.relname,
       (SELECT u.n FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
        JOIN pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
        WHERE a.attname = %(column)s),
       (SELECT u.n FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, n)
        JOIN pg_attribute AS a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
        WHERE a.attname = %(column)s),
       k.confupdtype IN ('c', 'n', 'd') OR k.confdeltype IN ('n', 'd')
FROM pg_constraint AS k
JOIN pg_class AS src ON src.oid = k.conrelid
JOIN pg_class AS dst ON dst.oid = k.confrelid
WHERE k.contype = 'f' AND src.relnamespace = %(schema)s::regnamespace
ORDER BY 1, 2
"""

_HAS_COLUMN = """
SELECT c.relname FROM pg_class AS c
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = %(column)s AND NOT a.attisdropped
WHERE c.relnamespace = %(schema)s::regnamespace
"""

# A table of one placement may reference tables of these placements only.
_MAY_REFERENCE = {
    Placement.DISTRIBUTED: {Placement.DISTRIBUTED, Placement.REFERENCE},
    Placement.REFERENCE: {Placement.REFERENCE},
    Placement.LOCAL: {Placement.LOCAL, Placement.REFERENCE},
}


def violations(
    conn: psycopg.Connection,
    *,
    classes: Mapping[str, Placement] = CLASSES,
    schema: str = "public",
) -> list[Violation]:
    """Everything in ``schema`` that keeps it from being distributed by county.

    Parameters
    ----------
    conn : a connection to a migrated database (only the catalogue is read).
    classes : the placement of each table; onemap's (:data:`CLASSES`) by default.
    schema : the schema to read.

    Returns
    -------
    The violations, by table; an empty list when the schema can be distributed as
    ``classes`` says.
    """
    args = {"schema": schema, "column": DISTRIBUTION_COLUMN}
    relations = [name for (name,) in conn.execute(_RELATIONS, args)]
    with_column = {name for (name,) in conn.execute(_HAS_COLUMN, args)}
    found = [
        Violation(name, None, "is not classified in gis/distribution.py")
        for name in relations
        if name not in classes
    ]
    found += [
        Violation(name, None, "is classified but is not in the database")
        for name in sorted(set(classes) - set(relations))
    ]
    distributed = {name for name, placement in classes.items() if placement is _D}
    found += [
        Violation(name, None, f"is distributed but has no {DISTRIBUTION_COLUMN}")
        for name in relations
        if name in distributed and name not in with_column
    ]
    for table, name, kind, has_county in conn.execute(_KEYS, args):
        if table in distributed and table in with_column and not has_county:
            found.append(Violation(table, name, f"{kind} without {DISTRIBUTION_COLUMN}"))
    for table, name, target, position, target_position, rewrites in conn.execute(
        _FOREIGN_KEYS, args
    ):
        found += _foreign_key_violations(classes, table, name, target, position, target_position)
        if classes.get(table) is _D and position is not None and rewrites:
            found.append(
                Violation(
                    table,
                    name,
                    f"holds {DISTRIBUTION_COLUMN} and cascades an update or sets null or"
                    " default on delete, which Citus refuses",
                )
            )
    return sorted(found, key=lambda v: (v.table, v.constraint or "", v.problem))


def _foreign_key_violations(
    classes: Mapping[str, Placement],
    table: str,
    name: str,
    target: str,
    position: int | None,
    target_position: int | None,
) -> list[Violation]:
    source_class, target_class = classes.get(table), classes.get(target)
    if source_class is None or target_class is None:
        return []  # named as unclassified already
    if target_class not in _MAY_REFERENCE[source_class]:
        return [
            Violation(
                table,
                name,
                f"a {source_class.name.lower()} table references {target},"
                f" a {target_class.name.lower()} one",
            )
        ]
    if (
        source_class is _D
        and target_class is _D
        and (position is None or position != target_position)
    ):
        return [
            Violation(
                table,
                name,
                f"references {target} without {DISTRIBUTION_COLUMN} on both sides in the"
                " same position: the row it points at may be in another county",
            )
        ]
    return []
