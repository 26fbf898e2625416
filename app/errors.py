"""One map from domain exceptions to HTTP status codes."""

from __future__ import annotations

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.limits import BodyTooLarge
from app.problems import problem
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

STATUS_BY_ERROR: dict[type[OnemapError], int] = {
    InvalidParameter: 400,
    InvalidCode: 400,
    NotFound: 404,
    ImportRejected: 422,
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

    app.add_exception_handler(OnemapError, domain_error)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
