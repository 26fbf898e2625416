"""The record of the database-function files `onemap migrate` has applied.

Functions and triggers live beside their package (gis/<package>/sql/functions/*.sql),
not in these versioned migrations: after the migrations reach head, `onemap migrate`
runs every file whose text differs from the one it last applied (all of them on a new
database) and records the file's SHA-256 here, so migrating twice changes nothing.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
-- Migration bookkeeping, like alembic_version: no county_code.
CREATE TABLE function_files (
    -- "<package>/<name>" for gis/<package>/sql/functions/<name>.sql
    name             text PRIMARY KEY,
    sha256           char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    applied_at       timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS function_files;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
