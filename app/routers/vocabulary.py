"""The vocabulary over HTTP: every kind, type, level, source, status and category onemap
stores, with its Chinese and English labels, so clients label values the way the service
does. The terms are in gis/vocabulary.py (the event categories in their table).

- ``GET /api/v1/vocabulary``: the document, for any client.
- ``GET /static/vocabulary.json``: the same document as one of the dashboard's assets. The
  page loads nothing but OGC API data and its own assets (/static, /vendor); its labels
  are an asset of that kind, generated here from the one source rather than kept as a file.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import Connection
from app.problems import problem_responses
from gis import vocabulary

router = APIRouter(tags=["vocabulary"])


@router.get(
    "/api/v1/vocabulary",
    summary="Every vocabulary with its Chinese and English labels",
    responses=problem_responses(503),
    description=(
        "One object per vocabulary (grid_types, dedicated_kinds, compound_types, "
        "building_uses, centre_levels, event_statuses, event_categories, …): its own "
        "labels `zh` and `en`, the `columns` (`table.column`) that hold its values, and "
        "its `terms` in display order, each `{value, zh, en}` (event subclasses also "
        "carry `parent`, their class)."
    ),
)
async def vocabularies(conn: Connection) -> dict[str, Any]:
    """Every vocabulary, values in order with their zh and en labels."""
    return await vocabulary.as_json(conn)


@router.get("/static/vocabulary.json", include_in_schema=False)
async def page_vocabulary(conn: Connection) -> dict[str, Any]:
    """The dashboard's copy of ``GET /api/v1/vocabulary``."""
    return await vocabulary.as_json(conn)
