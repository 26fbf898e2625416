"""Tokens expire, and say who made them, who revoked them and when they were last used.

A token that never expires is a door left open after whoever held it has gone; one whose
use is not recorded cannot be found stale. Tokens handed out before this migration run
for a year from their creation.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE api_tokens
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN created_by text,
    ADD COLUMN revoked_by text;
UPDATE api_tokens SET expires_at = created_at + interval '365 days';
-- a token written by other means than gis.tokens.create expires as its tokens do
ALTER TABLE api_tokens ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days',
                       ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_expiry_check CHECK (expires_at > created_at);
"""

DOWNGRADE = """
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_expiry_check;
ALTER TABLE api_tokens
    DROP COLUMN expires_at,
    DROP COLUMN last_used_at,
    DROP COLUMN created_by,
    DROP COLUMN revoked_by;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
