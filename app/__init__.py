"""onemap's edges: the HTTP service (FastAPI) and the command line."""
