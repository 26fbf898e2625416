"""The live feed of transitions: one LISTEN connection per server process, fanned out to
every streaming client, and the replay of what a reconnecting client missed.

Every statement appending history rows sends ``NOTIFY onemap_events`` when its
transaction commits (see :mod:`gis.events.history`), whichever server process wrote it,
so a client of any process sees every change. Each client gets a bounded queue: a client
that does not keep up is dropped (its stream ends) rather than allowed to hold up the
others or grow without bound; it reconnects with ``Last-Event-ID`` and :func:`replay`
sends what it missed. A lost LISTEN connection drops every client the same way, because
notifications sent while it was down are gone. A screen that shows the feed starts with
:func:`latest`, the newest transitions, and drops the live ones it already has by their
history id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection

from gis.errors import InvalidParameter
from gis.events.history import CHANNEL
from gis.sql import query

log = logging.getLogger(__name__)

# Transitions a client may fall behind by before it is dropped.
QUEUE_SIZE = 1000
# Rows one replay sends at most; a client further behind catches up over reconnects.
MAX_REPLAY = 10_000
REPLAY_PAGE = 1000
# The latest transitions one request may ask for, and what it gets unless it asks.
MAX_LATEST = 100
DEFAULT_LATEST = 20


@dataclass(frozen=True)
class FeedFilter:
    """Which transitions a client wants: those of one grid, community or subdistrict
    (codes already validated); all fields None means every transition."""

    grid_code: str | None = None
    community_code: str | None = None
    subdistrict_code: str | None = None

    def matches(self, summary: dict[str, Any]) -> bool:
        """Whether a transition's public summary falls within this selection."""
        return all(
            wanted is None or summary.get(name) == wanted
            for name, wanted in (
                ("grid_code", self.grid_code),
                ("community_code", self.community_code),
                ("subdistrict_code", self.subdistrict_code),
            )
        )


@dataclass(frozen=True)
class Transition:
    """One transition as the feed sends it: ``data`` is the public JSON summary."""

    history_id: int
    action: str
    data: str


@dataclass(eq=False)
class Subscription:
    """A client's place in the fan-out. ``get`` answers None once the client is dropped."""

    selection: FeedFilter
    queue: asyncio.Queue[Transition | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: bool = False

    async def get(self, timeout: float) -> Transition | None:
        """The next transition; raises TimeoutError after ``timeout`` seconds of quiet."""
        return await asyncio.wait_for(self.queue.get(), timeout)

    def drop(self) -> None:
        # Make room for the end marker: what is discarded the client replays later.
        """Drop a client that fell behind: empty its queue and end it, so it reconnects and
        replays what it missed."""
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventFeed:
    """The process's LISTEN connection and its subscribers.

    Parameters
    ----------
    database_url : the database whose ``onemap_events`` channel to follow.
    retry_seconds : the wait before reconnecting after the connection is lost (s).
    """

    def __init__(self, database_url: str, *, retry_seconds: float = 1.0) -> None:
        self._url = database_url
        self._retry = retry_seconds
        self._subscriptions: set[Subscription] = set()
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is up (clients subscribed now miss nothing)."""
        return self._listening.is_set()

    async def start(self, timeout: float = 30.0) -> None:
        """Connect and LISTEN; returns once listening (TimeoutError after ``timeout`` s)."""
        self._task = asyncio.create_task(self._listen(), name="onemap event feed")
        await asyncio.wait_for(self._listening.wait(), timeout)

    async def stop(self) -> None:
        """Stop listening and end every client's stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._drop_all()

    def subscribe(self, selection: FeedFilter) -> Subscription:
        """Start queueing the transitions ``selection`` wants for a new client."""
        subscription = Subscription(selection)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop fanning transitions out to ``subscription``."""
        self._subscriptions.discard(subscription)

    async def _listen(self) -> None:
        while True:
            try:
                async with await AsyncConnection.connect(self._url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    async for notice in conn.notifies():
                        self.publish(notice.payload)
            except psycopg.Error as error:
                log.warning("event feed lost its connection: %s; reconnecting", error)
            finally:
                self._listening.clear()
                # Notifications sent while nobody listened are lost: end every stream so
                # its client reconnects and replays from its Last-Event-ID.
                self._drop_all()
            await asyncio.sleep(self._retry)

    def publish(self, payload: str) -> None:
        """Hand one notification's transitions to every subscriber that wants them. The
        payload is a JSON array of public summaries (one statement's history rows, at
        most 15) or a single summary."""
        if not self._subscriptions:
            return
        try:
            decoded = json.loads(payload)
            summaries = decoded if isinstance(decoded, list) else [decoded]
            transitions = [
                (
                    summary,
                    Transition(
                        int(summary["history_id"]),
                        str(summary["action"]),
                        json.dumps(summary, ensure_ascii=False, separators=(",", ":")),
                    ),
                )
                for summary in summaries
            ]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed %s notification: %.200s", CHANNEL, payload)
            return
        for summary, transition in transitions:
            for subscription in list(self._subscriptions):
                if subscription.dropped or not subscription.selection.matches(summary):
                    continue
                try:
                    subscription.queue.put_nowait(transition)
                except asyncio.QueueFull:
                    log.info("dropped a live-feed client %d transitions behind", QUEUE_SIZE)
                    subscription.drop()
                    self._subscriptions.discard(subscription)

    def _drop_all(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.drop()
        self._subscriptions.clear()


async def replay(
    conn: AsyncConnection, after: int, selection: FeedFilter, *, limit: int = REPLAY_PAGE
) -> list[Transition]:
    """The transitions after history id ``after`` that ``selection`` wants, oldest first,
    at most ``limit``, with the public summary the notifications carry.

    Parameters
    ----------
    conn : an async psycopg connection.
    after : the last history id the client has (its ``Last-Event-ID``).
    selection : the client's place filter (matched on the event's current place).
    limit : rows at most; page with the last history id returned.
    """
    return await _transitions(conn, "events/feed_replay", selection, after=after, limit=limit)


async def latest(
    conn: AsyncConnection, selection: FeedFilter, *, limit: int = DEFAULT_LATEST
) -> list[Transition]:
    """The latest ``limit`` transitions that ``selection`` wants, newest first, with the
    public summary the notifications carry: what the feed said last, for a screen that
    opens between two transitions.

    Raises
    ------
    InvalidParameter
        ``limit`` outside 1–:data:`MAX_LATEST`.
    """
    if not 1 <= limit <= MAX_LATEST:
        raise InvalidParameter("limit", f"must be 1–{MAX_LATEST}, got {limit}")
    return await _transitions(conn, "events/feed_latest", selection, limit=limit)


async def _transitions(
    conn: AsyncConnection, name: str, selection: FeedFilter, **params: Any
) -> list[Transition]:
    cursor = await conn.execute(
        query(name),
        {
            **params,
            "grid_code": selection.grid_code,
            "community_code": selection.community_code,
            "subdistrict_code": selection.subdistrict_code,
        },
    )
    return [
        Transition(
            int(history_id),
            action,
            json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":")),
        )
        for history_id, action, data in await cursor.fetchall()
    ]
