"""Which event categories the public may see.

Each category says whether its events appear on public surfaces (FixMyStreet's
``non_public``, turned round): visits to elderly people living alone, meals and medical
help, and family disputes would map where vulnerable people live and whose marriage is in
trouble, so they never do. Staff see every category.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE event_categories ADD COLUMN public boolean NOT NULL DEFAULT true;
UPDATE event_categories SET public = false WHERE category_code IN ('0702', '1001', '1002');
"""

DOWNGRADE = """
ALTER TABLE event_categories DROP COLUMN public;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
