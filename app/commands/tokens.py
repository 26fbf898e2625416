"""`onemap tokens`: hand out and revoke API tokens."""

from __future__ import annotations

import getpass
import json

import typer

from app import exits
from gis import tokens
from gis.db import connect

app = typer.Typer(
    help="API tokens (roles: admin, staff, grid_member, auditor, open311)", no_args_is_help=True
)


@app.command("create")
def create(
    name: str = typer.Option(..., help="who or what the token is for"),
    role: str = typer.Option(..., help=", ".join(tokens.ROLES)),
    grid: str | None = typer.Option(None, help="grid code, for a grid member"),
    county: str = typer.Option("450105", help="county code"),
    days: int = typer.Option(tokens.DEFAULT_DAYS, help="days until it expires"),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    try:
        with connect() as conn:
            secret = tokens.create(
                conn,
                name=name,
                role=role,
                county_code=county,
                grid_code=grid,
                days=days,
                created_by=getpass.getuser(),
            )
    except tokens.TokenError as error:
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
    with connect() as conn:
        if not tokens.revoke(conn, token_id, revoked_by=getpass.getuser()):
            typer.echo(f"error: no active token {token_id}", err=True)
            raise typer.Exit(exits.REFUSED)
    typer.echo(f"revoked token {token_id}")
