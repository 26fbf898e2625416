"""Bring a database to the project's schema: the versioned migrations in migrations/
(alembic, DDL only), then the database functions and triggers that live beside their
package in gis/<package>/sql/functions/*.sql.

The function files are a repeatable step (Flyway's name for it): once the migrations are
at head, every file whose text differs from the one last applied is run again, all in
one transaction, and its SHA-256 recorded in ``function_files``. The files say
``CREATE OR REPLACE``, so a changed function keeps its identity and the triggers that
call it; migrating twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql as psql
from psycopg.conninfo import conninfo_to_dict

from app.commands.devdb import project_root
from gis import sql
from gis.db import SERVICE_ROLE, database_url, sqlalchemy_url

# The project's own functions: those in the public schema that no extension (PostGIS,
# pgRouting, pg_trgm) installed.
PROJECT_FUNCTIONS = """
SELECT p.oid FROM pg_proc AS p
WHERE p.pronamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_depend AS d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                    AND d.deptype = 'e')
"""


def alembic_config(dsn: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(project_root(), "migrations")))
    # '%' would be read as interpolation by configparser.
    config.set_main_option(
        "sqlalchemy.url", sqlalchemy_url(dsn or database_url()).replace("%", "%%")
    )
    return config


def upgrade(dsn: str | None = None, revision: str = "head") -> list[str]:
    """Migrate to ``revision``; at head, apply the function files whose text changed.

    Returns the names of the function files applied (none when nothing changed). Below
    head the functions are left out: they are written against head's tables.
    """
    config = alembic_config(dsn)
    command.upgrade(config, revision)
    return apply_functions(dsn) if _at_head(config, dsn) else []


def downgrade(dsn: str | None = None, revision: str = "base") -> None:
    """Step back to ``revision``, the project's functions and triggers dropped first.

    They are written against head's tables (and some take a table's row type), so the
    migrations could not drop those tables under them; ``upgrade`` creates them again.
    """
    config = alembic_config(dsn)
    drop_functions(dsn)
    command.downgrade(config, revision)
    if _at_head(config, dsn):
        apply_functions(dsn)


def apply_functions(dsn: str | None = None) -> list[str]:
    """Run each function file whose text is not the one last applied, in one transaction.

    Returns the names (``"<package>/<name>"``) of the files run, in the order run.
    """
    names = sql.functions()
    applied = []
    with psycopg.connect(dsn or database_url()) as conn:
        # Two migrations at once take turns instead of both running the same files.
        conn.execute("LOCK TABLE function_files IN SHARE ROW EXCLUSIVE MODE")
        recorded = dict(conn.execute("SELECT name, sha256 FROM function_files").fetchall())
        for name in names:
            text = sql.function(name)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if recorded.get(name) == digest:
                continue
            # No parameters: the text goes to the server as it is, several statements
            # and all, with no placeholders read in its format() strings.
            conn.execute(text.encode("utf-8"))
            conn.execute(
                """
                INSERT INTO function_files (name, sha256) VALUES (%s, %s)
                ON CONFLICT (name) DO UPDATE
                SET sha256 = EXCLUDED.sha256, applied_at = now()
                """,
                (name, digest),
            )
            applied.append(name)
        # A file taken out of the tree is forgotten, so putting it back applies it again.
        conn.execute("DELETE FROM function_files WHERE NOT name = ANY (%s)", (names,))
    return applied


# What stands on the project's functions, each query writing the statements that drop
# it, in the order to run them: views over them, row-level security policies calling them
# (gis/people/sql/functions/), triggers calling them.
_DEPENDENTS = (
    f"""
    SELECT DISTINCT format('DROP VIEW IF EXISTS %s', c.oid::regclass)
    FROM pg_depend AS d
    JOIN pg_rewrite AS r ON r.oid = d.objid
    JOIN pg_class AS c ON c.oid = r.ev_class
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass
      AND c.relkind = 'v' AND d.refobjid IN ({PROJECT_FUNCTIONS})
    """,
    f"""
    SELECT DISTINCT format('DROP POLICY %I ON %s', p.polname, p.polrelid::regclass)
    FROM pg_depend AS d
    JOIN pg_policy AS p ON p.oid = d.objid
    WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass
      AND d.refobjid IN ({PROJECT_FUNCTIONS})
    """,
    f"""
    SELECT format('DROP TRIGGER %I ON %s', t.tgname, t.tgrelid::regclass)
    FROM pg_trigger AS t
    WHERE NOT t.tgisinternal AND t.tgfoid IN ({PROJECT_FUNCTIONS})
    """,
)


def _file_views() -> list[str]:
    """The views the function files create (``CREATE OR REPLACE VIEW name``)."""
    return [
        name
        for file in sql.functions()
        for name in re.findall(r"CREATE OR REPLACE VIEW\s+(\w+)", sql.function(file))
    ]


def drop_functions(dsn: str | None = None) -> None:
    """Drop the project's functions, the triggers and policies calling them and the views
    built on them (which the same files create); forget the files."""
    with psycopg.connect(dsn or database_url()) as conn:
        # the views the files make over tables alone (street_patrols): no function holds them
        for name in _file_views():
            conn.execute(f"DROP VIEW IF EXISTS {name}")
        for dependents in _DEPENDENTS:
            for (statement,) in conn.execute(dependents).fetchall():
                conn.execute(statement)
        # RESTRICT: should a table's column, index or CHECK ever call one of these
        # functions, the downgrade stops here instead of dropping the column with it.
        (functions,) = conn.execute(
            f"SELECT string_agg(oid::regprocedure::text, ', ') FROM ({PROJECT_FUNCTIONS}) AS f"
        ).fetchone()
        if functions:
            conn.execute(f"DROP FUNCTION {functions} RESTRICT")
        if conn.execute("SELECT to_regclass('function_files')").fetchone()[0]:
            conn.execute("DELETE FROM function_files")


def set_service_password(service_url: str, dsn: str | None = None) -> bool:
    """Give the service's role (onemap_service) the password ``service_url`` carries, if
    it carries one; False when it carries none."""
    password = conninfo_to_dict(service_url).get("password") if service_url else None
    if not password:
        return False
    with psycopg.connect(dsn or database_url()) as conn:
        conn.execute(
            psql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psql.Identifier(SERVICE_ROLE), psql.Literal(password)
            )
        )
    return True


def expected_schema() -> tuple[set[str], dict[str, str]]:
    """What a database at head holds: the migrations' head revisions, and each function
    file's name with the SHA-256 of its text (as ``function_files`` records them)."""
    config = Config()
    config.set_main_option("script_location", str(Path(project_root(), "migrations")))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    digests = {
        name: hashlib.sha256(sql.function(name).encode("utf-8")).hexdigest()
        for name in sql.functions()
    }
    return heads, digests


def _at_head(config: Config, dsn: str | None) -> bool:
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with psycopg.connect(dsn or database_url()) as conn:
        if conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is None:
            return False
        current = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
    return current == heads
