"""Routers, one module per resource family."""
