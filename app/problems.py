"""The one shape of an error answer (app/errors.py, the probes, the body limits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse


def problem(
    status: int,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON problem: OGC API (and RFC 7807) clients expect code/description, so both
    spellings are given; ``extra`` carries members an error adds (an import's report and
    problems)."""
    return JSONResponse(
        {
            **(extra or {}),
            "code": title,
            "description": detail,
            "title": title,
            "detail": detail,
            "status": status,
        },
        status_code=status,
        headers=dict(headers) if headers else None,
    )
