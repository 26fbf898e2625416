"""Patrols: the tracks volunteers, couriers, grid members and backing units walk, and what
they cover (issue 14).

- :mod:`gis.patrols.reading`: a phone's file (GPX, GeoJSON with times) read into tracks of
  timed fixes, every structural problem named; cleaning the fixes is the database's work.
"""
