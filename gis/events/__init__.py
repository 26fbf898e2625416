"""Events (事件) and the closed loop from report to evaluation. One module per job:

- :mod:`~gis.events.stages`: the stages and the one transition table, roles, actors
- :mod:`~gis.events.intake`: a report becomes an event, placed, filed, dispatched
- :mod:`~gis.events.dispatch`: dispatch rules (category × area → department or grid)
- :mod:`~gis.events.duplicates`: likely duplicates (same category, 50 m, 72 h)
- :mod:`~gis.events.loop`: one transition, checked and recorded
- :mod:`~gis.events.deadlines`: overdue events flagged and escalated
- :mod:`~gis.events.history`: the append-only history and its NOTIFY channel
- :mod:`~gis.events.photos`: photo checks and EXIF GPS
- :mod:`~gis.events.idempotency`: Idempotency-Key handling
- :mod:`~gis.events.queries`: reading events, pages and photos

Every function takes an async psycopg connection first::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        created = await intake.create(conn, report, actor=stages.PUBLIC)
        await loop.transition(conn, created.event_id, TransitionRequest("accept"), actor=staff)
        await deadlines.escalate_overdue(conn, now=datetime.now(UTC))
"""
