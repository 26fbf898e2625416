"""`onemap people`: who may sign in, in which role and scope."""

from __future__ import annotations

import getpass
import json
import sys

import typer

from app import exits
from gis.db import connect
from gis.people import admin_log, directory, passwords

app = typer.Typer(
    help=f"People who sign in (roles: {', '.join(directory.ROLES)})", no_args_is_help=True
)


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or asked twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    login: str = typer.Argument(..., help="what they sign in with (lower case)"),
    name: str = typer.Option(..., help="their name, as the history shows it"),
    role: str = typer.Option(..., help=", ".join(directory.ROLES)),
    grid: list[str] = typer.Option([], help="a grid they serve (grid members; repeat)"),
    department: str | None = typer.Option(None, help="their department (handlers)"),
    county: str = typer.Option("450105", help="county code"),
    password_stdin: bool = typer.Option(False, help="read the password from stdin"),
) -> None:
    """Add a person (the password is hashed with argon2id; never stored or shown)."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            directory.add(
                conn,
                login=login,
                name=name,
                role=role,
                password=_password(password_stdin),
                county_code=county,
                grids=tuple(grid),
                department=department,
                created_by=user,
            )
            admin_log.record_command(
                conn,
                "person.add",
                actor=user,
                county_code=county,
                target=login,
                detail={"role": role, "grids": grid, "department": department},
            )
    except (directory.PersonError, passwords.WeakPassword) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(exits.USAGE) from None
    typer.echo(f"added {login} ({role})")


@app.command("list")
def list_people() -> None:
    """Everyone (never a password hash) as JSON."""
    with connect() as conn:
        typer.echo(json.dumps(directory.listing(conn), default=str, ensure_ascii=False, indent=2))


@app.command("password")
def password(
    login: str,
    password_stdin: bool = typer.Option(False, help="read the password from stdin"),
) -> None:
    """Give a person a new password; their sessions end."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            directory.set_password(conn, login, _password(password_stdin))
            admin_log.record_command(conn, "person.password", actor=user, target=login)
    except (directory.PersonError, passwords.WeakPassword) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(exits.USAGE) from None
    typer.echo(f"new password for {login}; their sessions have ended")


@app.command("disable")
def disable(login: str) -> None:
    """Stop a person signing in; their sessions and tokens end."""
    user = getpass.getuser()
    try:
        with connect() as conn:
            if not directory.disable(conn, login, disabled_by=user):
                typer.echo(f"error: {login} was disabled already", err=True)
                raise typer.Exit(exits.REFUSED)
            admin_log.record_command(conn, "person.disable", actor=user, target=login)
    except directory.PersonError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(exits.USAGE) from None
    typer.echo(f"disabled {login}; their sessions and tokens have ended")
