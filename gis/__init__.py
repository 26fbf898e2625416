"""onemap's domain library: places, codes, events, service circles and patrols on PostGIS.

Importable from a notebook without the web service: every query function takes a
database connection as its first argument.

Each function exists in one version, synchronous or asynchronous by what it serves:

- the analyses and the loads (gis.access, gis.grids, gis.demo, the hotline import) are
  synchronous on a ``psycopg.Connection``: planners call them from notebooks and the
  CLI as they are, and they run for seconds in PostGIS, so the API runs them on worker
  threads with a connection of its synchronous pool (app.deps.SyncConnection);
- what the API serves on its hot paths (gis.events, gis.ogc, gis.places, imports
  uploaded over HTTP) is asynchronous on a ``psycopg.AsyncConnection``, the API's pool;
  a notebook awaits it at the top level, the CLI through ``asyncio.run``.

Long functions tell their steps to a :class:`gis.progress.Progress` (silent by default);
the command line draws them.
"""
