"""Domain exceptions. The HTTP edge maps each to a status code (app/errors.py)."""

from __future__ import annotations


class OnemapError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidParameter(OnemapError):
    """A query parameter is malformed or out of range (HTTP 400)."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.problem = problem


class NotFound(OnemapError):
    """The collection, feature or unit asked for does not exist (HTTP 404)."""
