"""What can go wrong with an event; app/errors.py maps each to its HTTP status."""

from __future__ import annotations

from typing import Any

from gis.errors import OnemapError


class InvalidEvent(OnemapError):
    """A report or transition request that cannot be accepted as given (HTTP 422):
    malformed JSON, an unknown category, a point outside the district, a missing rating.

    ``field`` names the offending member; ``extra`` carries what helps to fix it (the
    valid categories, the allowed properties).
    """

    def __init__(self, field: str, problem: str, **extra: Any) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.extra = extra

    def details(self) -> dict[str, Any]:
        """The offending member and what helps to fix it, for the problem response."""
        return {"field": self.field, **self.extra}


class IdempotencyKeyReused(InvalidEvent):
    """An Idempotency-Key sent again with a different request (HTTP 422, as the IETF
    Idempotency-Key draft recommends); nothing is created."""

    def __init__(self, key: str) -> None:
        super().__init__(
            "Idempotency-Key",
            f"{key!r} was already used for a different request; use a new key for a new report",
        )


class IllegalTransition(OnemapError):
    """The action is not allowed from the event's current stage (HTTP 409); nothing
    changed."""

    def __init__(
        self, event: str, action: str, status: str, allowed: list[str], problem: str = ""
    ) -> None:
        reason = problem or (
            f"cannot {action} event {event}: it is {status}; "
            + (f"allowed now: {', '.join(allowed)}" if allowed else "no action is allowed now")
        )
        super().__init__(reason)
        self.action = action
        self.status = status
        self.allowed = allowed

    def details(self) -> dict[str, Any]:
        """The refused action, the event's stage and the actions allowed from it, for the
        problem response."""
        return {"action": self.action, "status": self.status, "allowed_actions": self.allowed}


class NotAllowed(OnemapError):
    """The caller's role (or grid, or county) may not do this (HTTP 403)."""


class PhotoTooLarge(OnemapError):
    """A photo over the size limit (HTTP 413)."""


class UnsupportedPhoto(OnemapError):
    """A photo part that is not a JPEG or PNG image (HTTP 415)."""
