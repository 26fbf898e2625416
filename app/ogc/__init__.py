"""OGC API – Features at /ogc: the router, its OpenAPI 3.0 document and its parameters."""
