"""API tokens: created once, stored hashed, revocable."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from gis import tokens


def _identify(url: str, secret: str) -> tokens.Caller:
    async def run() -> tokens.Caller:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await tokens.identify(conn, secret)

    return asyncio.run(run())


def test_token_life(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        secret = tokens.create(conn, name="指挥中心", role="staff")
        stored = conn.execute("SELECT token_sha256 FROM api_tokens").fetchone()[0]
    assert secret not in stored and len(stored) == 64
    caller = _identify(scratch_database, secret)
    assert caller.role == "staff" and caller.name == "指挥中心"
    with psycopg.connect(scratch_database) as conn:
        assert tokens.revoke(conn, caller.token_id)
        assert not tokens.revoke(conn, caller.token_id)
    with pytest.raises(tokens.TokenError, match="revoked"):
        _identify(scratch_database, secret)


def test_roles_are_checked(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        with pytest.raises(tokens.TokenError, match="role must be one of"):
            tokens.create(conn, name="x", role="root")
        with pytest.raises(tokens.TokenError, match="grid code"):
            tokens.create(conn, name="x", role="grid_member")
        member = tokens.create(conn, name="网格员", role="grid_member", grid_code="450105001001001")
        with pytest.raises(tokens.TokenError, match="names the department"):
            tokens.create(conn, name="x", role="department")
        with pytest.raises(tokens.TokenError, match="no department 'nowhere'"):
            tokens.create(conn, name="x", role="department", department="nowhere")
        handler = tokens.create(conn, name="城管局", role="department", department="chengguan")
    assert _identify(scratch_database, member).grids == ("450105001001001",)
    assert _identify(scratch_database, handler).department_code == "chengguan"
    with pytest.raises(tokens.TokenError):
        _identify(scratch_database, "om_not-a-token")


def test_a_team_token_stands_for_its_team_until_the_team_is_disabled(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        (team_id,) = conn.execute(
            "INSERT INTO patrol_teams (county_code, team_code, name, kind, created_by)"
            " VALUES ('450105', 'zmj-1', '紫马甲一队', 'volunteers', 'test') RETURNING team_id"
        ).fetchone()
        secret = tokens.create(conn, name="紫马甲一队 手机", role="team", team="zmj-1")
        with pytest.raises(tokens.TokenError, match="no patrol team 'zmj-1' in county 450103"):
            tokens.create(conn, name="x", role="team", team="zmj-1", county_code="450103")
    caller = _identify(scratch_database, secret)
    assert (caller.role, caller.team_id, caller.county_code) == ("team", team_id, "450105")
    assert caller.key == f"token:{caller.token_id}"
    with psycopg.connect(scratch_database) as conn:
        conn.execute("UPDATE patrol_teams SET disabled_at = now() WHERE team_id = %s", (team_id,))
    with pytest.raises(tokens.TokenError, match="may no longer"):
        _identify(scratch_database, secret)


def test_tokens_expire_and_record_their_use(scratch_database):
    with psycopg.connect(scratch_database) as conn:
        secret = tokens.create(conn, name="合作系统", role="open311", days=1, created_by="管理员")
        with pytest.raises(tokens.TokenError, match="days must be"):
            tokens.create(conn, name="x", role="staff", days=0)
    caller = _identify(scratch_database, secret)
    with psycopg.connect(scratch_database) as conn:
        (row,) = [t for t in tokens.listing(conn) if t["token_id"] == caller.token_id]
        assert row["created_by"] == "管理员" and row["last_used_at"] is not None
        lifetime = row["expires_at"] - row["created_at"]
        assert abs(lifetime.total_seconds() - 86_400) < 60
        # a day later it is refused
        conn.execute(
            "UPDATE api_tokens SET created_at = created_at - interval '2 days',"
            " expires_at = expires_at - interval '2 days' WHERE token_id = %s",
            (caller.token_id,),
        )
    with pytest.raises(tokens.TokenError, match="expired"):
        _identify(scratch_database, secret)
    with psycopg.connect(scratch_database) as conn:
        assert tokens.revoke(conn, caller.token_id, revoked_by="管理员")
        (row,) = [t for t in tokens.listing(conn) if t["token_id"] == caller.token_id]
        assert row["revoked_by"] == "管理员"
