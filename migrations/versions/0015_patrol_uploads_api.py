"""Patrol tracks uploaded over HTTP: team tokens, idempotent uploads, and what the service
may write.

- ``api_tokens`` gain the role ``team``: a phone or logger acting for one patrol team
  (``team_id``), which uploads that team's tracks and nothing else (it reports no events).
- ``idempotency_keys`` keep an upload's answer as well as an event's: one key namespace
  and one prune per caller. A key answers for an event or for an upload, never both.
- The service may add uploads, their sources and tracks, but never change or delete them
  (a correction is a new upload; deleting is the owner's, with the CLI). Row-level
  security on ``patrol_uploads`` (policies in gis/people/sql/functions/access_policies.sql)
  lets the service insert an upload only for a team its caller may upload for.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens
    ADD CONSTRAINT api_tokens_role_check CHECK (role IN (
        'admin', 'staff', 'department', 'grid_member', 'auditor', 'planner', 'open311',
        'team')),
    ADD COLUMN team_id bigint,
    ADD CONSTRAINT api_tokens_team_fkey FOREIGN KEY (county_code, team_id)
        REFERENCES patrol_teams (county_code, team_id),
    ADD CONSTRAINT api_tokens_team_check CHECK ((role = 'team') = (team_id IS NOT NULL));
CREATE INDEX api_tokens_team_idx ON api_tokens (team_id) WHERE team_id IS NOT NULL;

ALTER TABLE idempotency_keys
    ALTER COLUMN event_id DROP NOT NULL,
    ADD COLUMN upload_id bigint REFERENCES patrol_uploads ON DELETE CASCADE,
    ADD CONSTRAINT idempotency_keys_answer_check CHECK (num_nonnulls(event_id, upload_id) = 1);
CREATE INDEX idempotency_keys_upload_idx ON idempotency_keys (upload_id)
    WHERE upload_id IS NOT NULL;

REVOKE UPDATE, DELETE ON patrol_uploads, patrol_sources, patrol_tracks FROM onemap_service;
ALTER TABLE patrol_uploads ENABLE ROW LEVEL SECURITY;

-- store_patrol_upload takes the Idempotency-Key now: the old signature goes, the
-- function file makes the new one
DROP FUNCTION IF EXISTS store_patrol_upload(
    bigint, text, text, text, integer, text, bigint, bigint, text[], integer[], float8[],
    float8[], float8[]);
"""

DOWNGRADE = r"""
ALTER TABLE patrol_uploads DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS patrol_uploads_read ON patrol_uploads;
DROP POLICY IF EXISTS patrol_uploads_write ON patrol_uploads;
GRANT UPDATE, DELETE ON patrol_uploads, patrol_sources, patrol_tracks TO onemap_service;

DELETE FROM idempotency_keys WHERE upload_id IS NOT NULL;
DROP INDEX idempotency_keys_upload_idx;
ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_answer_check,
    DROP COLUMN upload_id,
    ALTER COLUMN event_id SET NOT NULL;

DELETE FROM api_tokens WHERE role = 'team';
DROP INDEX api_tokens_team_idx;
ALTER TABLE api_tokens
    DROP CONSTRAINT api_tokens_team_check,
    DROP CONSTRAINT api_tokens_team_fkey,
    DROP COLUMN team_id,
    DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN (
    'admin', 'staff', 'department', 'grid_member', 'auditor', 'planner', 'open311'));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
