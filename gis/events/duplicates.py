"""Likely duplicates: the same matter reported twice.

A new report of the same category within 50 m and 72 hours after an open event (not yet
closed: reported … handled) is linked to it as a likely duplicate on intake
(``events.duplicate_of``) and held for staff instead of being dispatched a second time.
Staff then merge it (the ``merge`` transition: status duplicate) or dispatch it as an
event of its own (which drops the link). Distance is measured on the spheroid with
ST_DWithin on geography, which the expression index ``events_geog_idx`` serves. The rule
itself is the database function ``event_likely_duplicate``
(gis/events/sql/functions/event_likely_duplicate.sql), which intake calls with these
figures.
"""

from __future__ import annotations

# How far apart two reports of one matter may be (m), and how much earlier the other
# report may have come (h).
RADIUS_M = 50.0
WINDOW_H = 72
