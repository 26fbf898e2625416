"""`onemap tokens`: hand out and revoke API tokens."""

from __future__ import annotations

import getpass
import json

import typer

from app import exits
from gis import tokens
from gis.db import connect
from gis.people import admin_log, directory

app = typer.Typer(help=f"API tokens (roles: {', '.join(tokens.ROLES)})", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Option(..., help="who or what the token is for"),
    role: str = typer.Option(..., help=", ".join(tokens.ROLES)),
    grid: str | None = typer.Option(None, help="grid code, for a grid member"),
    department: str | None = typer.Option(None, help="department code, for a handler"),
    team: str | None = typer.Option(None, help="patrol team code, for a team token"),
    person: str | None = typer.Option(
        None, help="the login of the person it belongs to (their role, grids, department)"
    ),
    county: str = typer.Option("450105", help="county code"),
    days: int = typer.Option(tokens.DEFAULT_DAYS, help="days until it expires"),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            person_id = None
            if person is not None:
                holder = directory.find(conn, person)
                if holder.role != role:
                    raise tokens.TokenError(f"{person} is {holder.role}, not {role}")
                person_id, county = holder.person_id, holder.county_code
                department = department or holder.department_code
            secret = tokens.create(
                conn,
                name=name,
                role=role,
                county_code=county,
                grid_code=grid,
                department=department,
                person_id=person_id,
                team=team,
                days=days,
                created_by=user,
            )
            admin_log.record_command(
                conn,
                "token.create",
                actor=user,
                county_code=county,
                target=name,
                detail={
                    "role": role,
                    "grid": grid,
                    "department": department,
                    "team": team,
                    "days": days,
                },
            )
    except (tokens.TokenError, directory.PersonError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(exits.USAGE) from None
    typer.echo(secret)


@app.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets) as JSON."""
    with connect() as conn:
        typer.echo(json.dumps(tokens.listing(conn), default=str, ensure_ascii=False, indent=2))


@app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    user = getpass.getuser()
    with connect() as conn:
        if not tokens.revoke(conn, token_id, revoked_by=user):
            typer.echo(f"error: no active token {token_id}", err=True)
            raise typer.Exit(exits.REFUSED)
        admin_log.record_command(conn, "token.revoke", actor=user, target=str(token_id))
    typer.echo(f"revoked token {token_id}")
