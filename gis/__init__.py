"""onemap's domain library: places, codes, events, service circles and patrols on PostGIS.

Importable from a notebook without the web service: every query function takes a
database connection as its first argument.
"""
