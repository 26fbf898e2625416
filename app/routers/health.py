"""Probes for whoever runs onemap (systemd, a load balancer, Kubernetes):

- ``GET /healthz``: the process is up and serving (no database involved), 200.
- ``GET /readyz``: it can do its work: the database answers within 2 s and holds the
  schema this code expects (migrations at head, every function file applied as it is
  now); 200, or 503 with Retry-After saying what is missing (run ``onemap migrate``).
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.problems import problem, problem_responses

router = APIRouter(tags=["health"])

READY_TIMEOUT_S = 2.0


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers and holds this version's schema",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> JSONResponse:
    heads, digests = request.app.state.expected_schema
    try:
        async with request.app.state.pool.connection(timeout=READY_TIMEOUT_S) as conn:
            versions = {
                r[0]
                for r in await (
                    await conn.execute("SELECT version_num FROM alembic_version")
                ).fetchall()
            }
            applied = dict(
                await (await conn.execute("SELECT name, sha256 FROM function_files")).fetchall()
            )
    except psycopg.Error as error:
        return _not_ready(request, f"the database cannot be reached: {error}".strip())
    if versions != heads:
        return _not_ready(
            request,
            f"migrations at {', '.join(sorted(versions)) or 'none'}, this version needs"
            f" {', '.join(sorted(heads))}: run onemap migrate",
        )
    stale = sorted(name for name, digest in digests.items() if applied.get(name) != digest)
    if stale:
        return _not_ready(
            request, f"function files not applied: {', '.join(stale)}: run onemap migrate"
        )
    body: dict[str, Any] = {
        "status": "ready",
        "migrations": sorted(heads),
        "function_files": len(digests),
    }
    return JSONResponse(body)


def _not_ready(request: Request, detail: str) -> JSONResponse:
    retry = str(request.app.state.settings.retry_after_s)
    return problem(503, "NotReady", detail, headers={"Retry-After": retry})
