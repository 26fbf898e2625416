"""What onemap publishes through OGC API – Features: the collections
(:mod:`gis.ogc.collections`), what a request selects (:mod:`gis.ogc.selection`) and the
features themselves, built as GeoJSON in PostGIS (:mod:`gis.ogc.features`)."""
