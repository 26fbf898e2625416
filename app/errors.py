"""One map from domain exceptions to HTTP status codes."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.limits import BodyTooLarge
from app.problems import problem, problem_responses
from gis.access.siting import TargetUnreachable
from gis.codes import InvalidCode
from gis.errors import InvalidParameter, NotFound, OnemapError
from gis.events.errors import (
    IllegalTransition,
    InvalidEvent,
    NotAllowed,
    PhotoTooLarge,
    UnsupportedPhoto,
)
from gis.imports.problems import ImportRejected
from gis.patrols.uploads import TeamNotServing

STATUS_BY_ERROR: dict[type[OnemapError], int] = {
    InvalidParameter: 400,
    InvalidCode: 400,
    NotFound: 404,
    ImportRejected: 422,
    TeamNotServing: 403,
    InvalidEvent: 422,
    IllegalTransition: 409,
    NotAllowed: 403,
    PhotoTooLarge: 413,
    UnsupportedPhoto: 415,
    TargetUnreachable: 422,
}


def install_error_handlers(app: FastAPI) -> None:
    async def domain_error(request: Request, error: Exception) -> JSONResponse:
        status = next(
            (code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 500
        )
        details = getattr(error, "details", None)
        extra = details() if callable(details) else None
        return problem(status, type(error).__name__, str(error), extra)

    async def validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        status = 400 if all(item["loc"][0] == "query" for item in error.errors()) else 422
        return problem(status, "InvalidRequest", problems)

    async def too_large(request: Request, error: Exception) -> JSONResponse:
        return problem(413, "BodyTooLarge", str(error))

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        # Unknown paths and methods answer in the same shape as every other error.
        assert isinstance(error, HTTPException)
        if isinstance(error.__cause__, BodyTooLarge):
            # FastAPI reports any failure while parsing a form as a 400
            return await too_large(request, error.__cause__)
        if isinstance(error.__cause__, UnicodeDecodeError):
            # FastAPI answers a JSON body that is not UTF-8 with a bare 400 "error parsing
            # the body"; it is a body that is not JSON, as any other (422, naming it).
            cause = error.__cause__
            return problem(
                422,
                "InvalidRequest",
                f"body: not JSON text: byte {cause.start} is not UTF-8 ({cause.reason})",
            )
        title = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "NotFound",
            405: "MethodNotAllowed",
        }.get(error.status_code, "HTTPError")
        response = problem(error.status_code, title, str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        # No connection within the pool's timeout, too many waiting, the server gone, or
        # a statement or lock wait past its timeout: the database cannot answer now. Say
        # so at once, with when to try again, instead of hanging or a bare 500.
        if isinstance(error, psycopg.errors.QueryCanceled):
            title, detail = "QueryTimeout", "the database took too long to answer this request"
        elif isinstance(error, psycopg.errors.LockNotAvailable):
            title, detail = "Busy", "what this request changes is being changed by another"
        else:
            title, detail = "DatabaseUnavailable", "the database cannot be reached just now"
        response = problem(503, title, f"{detail}; try again shortly")
        response.headers["Retry-After"] = str(request.app.state.settings.retry_after_s)
        return response

    _document_validation_errors(app)
    app.add_exception_handler(OnemapError, domain_error)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _document_validation_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what validation_error answers.

    FastAPI documents a 422 with its own ``HTTPValidationError`` body on every route with
    a parameter; this app answers a failed validation with a problem (above), and a route
    whose only parameters are strings in the path can never fail it. So FastAPI's 422 is
    replaced by the problem where a body or a typed path parameter can be invalid, and
    dropped where nothing can be."""
    generate = app.openapi

    def document() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                declared = responses.get("422", {}).get("content", {})
                if "HTTPValidationError" not in str(declared):
                    continue
                typed = any(
                    p["in"] == "path" and not _any_text(p.get("schema", {}))
                    for p in operation.get("parameters", [])
                )
                if typed or "requestBody" in operation:
                    responses["422"] = problem_responses(422)[422]
                else:
                    del responses["422"]
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        return schema

    app.openapi = document  # type: ignore[method-assign]


def _any_text(schema: dict[str, Any]) -> bool:
    constraints = ("enum", "pattern", "minLength", "maxLength", "format")
    return schema.get("type") == "string" and not any(c in schema for c in constraints)
