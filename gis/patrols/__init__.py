"""Patrols: the tracks volunteers, couriers, grid members and backing units walk, and what
they cover (issue 14).

- :mod:`gis.patrols.reading`: a phone's file (GPX, GeoJSON with times) read into tracks of
  timed fixes, every structural problem named; cleaning the fixes is the database's work.
- :mod:`gis.patrols.teams`: teams (volunteers, police, couriers, grid members, backing
  units), their members and the grids they serve.
- :mod:`gis.patrols.uploads`: a file's tracks stored for a team, cleaned in PostGIS
  (``clean_patrol_fixes``: outside the county, duplicate and backward times, GPS jumps,
  speed, gaps), all or nothing, with each rule's count kept beside the track.
- :mod:`gis.patrols.visits`: stretches of tracks inside grids (written by a trigger as
  tracks are stored), visits and hours per grid and month, the standard of each grid
  kind, grids nobody has patrolled for days.
- :mod:`gis.patrols.coverage`: the buildings, street segments and 50 m cells each grid
  has, and those a track passed within R metres of, kept per calendar month.
- :mod:`gis.patrols.blind_spots`: events reported where no patrol passed within R metres
  in the days before, as a list and a GeoJSON layer.
"""
