"""``GET /api/v1/events/stream``: the live feed of transitions as server-sent events.

Each transition is one message: ``id:`` its history id, ``event:`` its action, ``data:``
the public JSON summary (no personal data, no notes). A client that reconnects with
``Last-Event-ID`` first gets what it missed from event_history, then the live feed, with
nothing lost or repeated in between. A comment line every 15 s keeps proxies from closing
a quiet stream. Filters: ``grid``, ``community``, ``subdistrict`` (codes). The feed itself
(one LISTEN connection per process) is gis/events/feed.py, started in the app lifespan.

``GET /api/v1/events/stream/latest`` answers the latest transitions as JSON, newest first,
with the same summaries and filters: what a screen shows of the feed on opening, before
the next message arrives (it drops the live messages it already has by history id).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from psycopg_pool import AsyncConnectionPool

from app.deps import Connection
from app.params import check_known, documented, parse_integer
from app.problems import problem_responses
from gis import codes
from gis.events.feed import (
    DEFAULT_LATEST,
    MAX_LATEST,
    MAX_REPLAY,
    REPLAY_PAGE,
    EventFeed,
    FeedFilter,
    Transition,
    latest,
    replay,
)

router = APIRouter(prefix="/api/v1", tags=["events"])

HEARTBEAT_SECONDS = 15.0
# What an EventSource waits before reconnecting after the stream ends (ms).
RETRY_MS = 1000
FILTERS = {
    "grid": codes.Level.GRID,
    "community": codes.Level.COMMUNITY,
    "subdistrict": codes.Level.TOWNSHIP,
}
LATEST_PARAMETERS = ("limit", *FILTERS)


def message(transition: Transition) -> str:
    """One transition as a server-sent event."""
    return f"id: {transition.history_id}\nevent: {transition.action}\ndata: {transition.data}\n\n"


def _selection(params: dict[str, str]) -> FeedFilter:
    found = {
        name: codes.parse(params[name], expect=level).value
        for name, level in FILTERS.items()
        if name in params
    }
    return FeedFilter(
        grid_code=found.get("grid"),
        community_code=found.get("community"),
        subdistrict_code=found.get("subdistrict"),
    )


async def transitions(
    feed: EventFeed,
    pool: AsyncConnectionPool,
    selection: FeedFilter,
    last_event_id: int | None,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncGenerator[str, None]:
    """The stream's text: the replay after ``last_event_id`` (if given), then live
    transitions, with a comment after every ``heartbeat`` seconds (s) of quiet."""
    # Subscribe before reading the history: a transition committed meanwhile is then in
    # the queue, the replay, or both — and ``replayed`` removes the doubles.
    subscription = feed.subscribe(selection)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        replayed: set[int] = set()
        if last_event_id is not None:
            after = last_event_id
            while len(replayed) < MAX_REPLAY:
                async with pool.connection() as conn:
                    page = await replay(conn, after, selection, limit=REPLAY_PAGE)
                for transition in page:
                    replayed.add(transition.history_id)
                    yield message(transition)
                if len(page) < REPLAY_PAGE:
                    break
                after = page[-1].history_id
            else:
                # Far behind: end here; the client reconnects from where it got to.
                return
        while True:
            try:
                live = await subscription.get(heartbeat)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if live is None:
                return  # dropped (too slow, or the feed lost its connection)
            if live.history_id in replayed:
                replayed.discard(live.history_id)
                continue
            yield message(live)
    finally:
        feed.unsubscribe(subscription)


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def event_stream(request: Request) -> StreamingResponse:
    """Transitions as they happen (server-sent events); ``Last-Event-ID`` replays the
    missed ones first; ``grid``, ``community``, ``subdistrict`` filter by place."""
    params = check_known(request.query_params, tuple(FILTERS))
    selection = _selection(params)
    # The history id of the last message the client saw (EventSource sends it back).
    last_event_id = parse_integer("Last-Event-ID", request.headers.get("last-event-id"), minimum=0)
    feed: EventFeed = request.app.state.event_feed
    if not feed.listening:
        raise HTTPException(503, "the live feed is reconnecting", headers={"Retry-After": "1"})
    return StreamingResponse(
        transitions(feed, request.app.state.pool, selection, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/events/stream/latest",
    response_class=JSONResponse,
    responses=problem_responses(400, 503),
    openapi_extra={
        "parameters": [
            documented("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LATEST}),
            *(
                documented(name, {"type": "string"}, f"{level} code")
                for name, level in FILTERS.items()
            ),
        ]
    },
)
async def latest_transitions(request: Request, conn: Connection) -> JSONResponse:
    """The latest transitions, newest first, as the stream sends them (``history_id``,
    ``event_id``, ``action``, ``to_status``, ``at`` …): ``limit`` (1–100, default 20);
    ``grid``, ``community``, ``subdistrict`` filter by place as the stream's do."""
    params = check_known(request.query_params, LATEST_PARAMETERS)
    selection = _selection(params)
    limit = parse_integer(
        "limit", params.get("limit"), default=DEFAULT_LATEST, minimum=1, maximum=MAX_LATEST
    )
    found = await latest(conn, selection, limit=limit)
    return JSONResponse(
        {
            "transitions": [json.loads(transition.data) for transition in found],
            "numberReturned": len(found),
        }
    )
