"""Patrol tracks over HTTP: ``POST /api/v1/patrols/tracks?team=CODE``.

The body is a phone's file as it is: GPX (``application/gpx+xml``) or GeoJSON
(``application/geo+json``) with a time on every fix, at most 16 MiB (app/limits.py). Who
may send one: a team's token (its own team; ``team`` may be left out), a grid member
(token or session) for a team they are a member of (``team``, or their only team),
administrators and staff for any team of their county (``team`` required). The database
holds the same rule for the service's role (row-level security on patrol_uploads).

The file is read here (gis/patrols/reading.py), cleaned and stored all or nothing in the
database (gis/patrols/uploads.py). 201 answers the upload's id and, per track of the
file, its cleaned pieces' ids and what each cleaning rule dropped. A refused file answers
422 (or 403 when its tracks lie in a county the team does not serve) naming the file,
each track and its problem; nothing is stored. ``Idempotency-Key`` makes a retry safe, as
for reports: the same key and file answer the first answer (``Idempotent-Replayed:
true``) and store nothing; the same key with another file is refused with 422.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.deps import Connection, require_role
from app.params import check_known, documented
from app.problems import problem_responses
from gis.errors import InvalidParameter
from gis.patrols import reading, uploads
from gis.tokens import Caller

router = APIRouter(prefix="/api/v1", tags=["patrols"], responses=problem_responses(503))

GPX = "application/gpx+xml"
GEOJSON = "application/geo+json"
# what each content type is read as (format_of: gis/patrols/reading.py)
CONTENT_TYPES = (GPX, "application/gpx", GEOJSON, "application/json")
TEAM_CODE = "^[a-z0-9][a-z0-9_-]{1,39}$"
# Content-Disposition's file name: RFC 6266's filename*=UTF-8''… (percent-encoded) or
# a plain filename="…"
_FILE_NAME = re.compile(r"""filename(\*)?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)

Uploader = Annotated[Caller, Depends(require_role(*uploads.UPLOADER_ROLES))]


class TrackAnswer(BaseModel):
    """One track of the file: its cleaned pieces and what cleaning dropped, by rule."""

    label: str
    track_ids: list[int]
    raw_points: int
    kept_points: int
    dropped: dict[str, int]
    pieces: int


class UploadAnswer(BaseModel):
    """The stored upload."""

    upload_id: int
    team: str
    tracks: list[TrackAnswer]


def _file_name(request: Request, file_format: str) -> str:
    """The name the client gave the file (Content-Disposition), else ``upload.<format>``."""
    name = ""
    for found in _FILE_NAME.finditer(request.headers.get("content-disposition", "")):
        encoded, given = found.groups()
        if encoded or not name:
            name = unquote(given, errors="replace") if encoded else given
    name = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    return name[:200] or f"upload.{'gpx' if file_format == 'gpx' else 'geojson'}"


@router.post(
    "/patrols/tracks",
    status_code=201,
    response_model=None,
    responses={
        201: {
            "description": "Stored (or, with Idempotent-Replayed: true, stored before)",
            "model": UploadAnswer,
        },
        **problem_responses(400, 401, 403, 404, 413, 415, 422),
    },
    openapi_extra={
        "parameters": [
            documented(
                "team",
                {"type": "string", "pattern": TEAM_CODE},
                "the team's code; a team token's own team, a grid member's only team",
            )
        ],
        "requestBody": {
            "required": True,
            "content": {
                GPX: {"schema": {"type": "string"}},
                GEOJSON: {"schema": {"type": "object"}},
            },
        },
    },
)
async def upload_tracks(request: Request, conn: Connection, caller: Uploader) -> JSONResponse:
    """Store a GPX or GeoJSON file of a patrol team's tracks, cleaned (all or nothing)."""
    query = check_known(request.query_params, ("team",))
    team_code = query.get("team") or None
    if team_code is not None and not re.fullmatch(TEAM_CODE, team_code):
        raise InvalidParameter("team", f"expected a team code, got {team_code!r}")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise HTTPException(
            415, f"content type {content_type or 'none'!r}: send {GPX} or {GEOJSON}"
        )
    team = await uploads.uploading_team(conn, caller, team_code)
    body = await request.body()
    file_format = reading.format_of("", content_type)
    name = _file_name(request, file_format)
    # parsing a day's fixes is CPU work: off the event loop
    tracks = await run_in_threadpool(
        reading.read_tracks, body, name=name, content_type=content_type
    )
    stored = await uploads.receive(
        conn,
        tracks,
        team_id=team.team_id,
        team_code=team.team_code,
        file_name=name,
        file_format=file_format,
        size=len(body),
        uploader=uploads.Uploader(caller.name, caller.token_id, caller.person_id),
        idempotency_scope=caller.key,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
    answer: dict[str, Any] = stored.as_dict()
    return JSONResponse(answer, status_code=201, headers=headers)
