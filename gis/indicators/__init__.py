"""Indicators per area for the one map: every grid, community or subdistrict with an
indicator's value and class (:mod:`gis.indicators.areas`)::

    async with await psycopg.AsyncConnection.connect(url) as conn:
        layer = await areas.area_indicator(conn, "community", "closure_rate")
"""
