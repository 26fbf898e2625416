"""Intake in one statement: a report is placed, filed, dispatched and answered by one
database function, ``intake_event``, instead of some fifteen round trips from Python.

The functions (``intake_event`` and the pieces it shares with the rest of the loop:
``event_feature``, ``event_dispatch_rule``, ``event_likely_duplicate``) and the live
feed's statement-level NOTIFY trigger live in gis/events/sql/functions/ and are applied by
`onemap migrate`; what remains here is the storage of the answers intake keeps.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Answers are about 1.7 kB, just under the size where PostgreSQL compresses: lz4 costs
-- a fraction of the default pglz when it does.
ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION lz4;
"""

DOWNGRADE = """
ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION DEFAULT;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
