"""The one shape of an error answer (app/errors.py, the probes, the body limits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


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


class Problem(BaseModel):
    """The JSON of every error answer, as :func:`problem` builds it (OpenAPI's schema)."""

    code: str = Field(description="the kind of problem, e.g. InvalidParameter")
    description: str = Field(description="what is wrong, naming the parameter or record")
    title: str
    detail: str
    status: int


PROBLEM_SCHEMA = Problem.model_json_schema()

# What each error status means on this API, for the OpenAPI document.
ERROR_MEANINGS = {
    400: "A query parameter is unknown, repeated, malformed or out of range (named).",
    401: "A bearer token or a signed-in session is required, or the one given is unknown,"
    " revoked or expired.",
    403: "The caller's role or scope may not do this.",
    404: "No such resource.",
    409: "The event is not in a state that allows this.",
    413: "The request body is larger than this route takes.",
    415: "The body's content type is not one this route reads.",
    422: "The body (or a path parameter) is invalid; the problem names the field or record.",
    429: "Too many requests; Retry-After says when to try again.",
    503: "The database cannot answer just now; Retry-After says when to try again.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's error answers (``responses=`` of a route):
    every route documents each error status it may send, in the one problem shape."""
    # Content given in full: FastAPI would otherwise file a model under the route's own
    # media type (application/geo+json on the feature routes), and errors are JSON.
    return {
        status: {
            "description": ERROR_MEANINGS[status],
            "content": {"application/json": {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
