"""Response classes whose media type the OpenAPI document should name."""

from __future__ import annotations

from fastapi.responses import JSONResponse


class GeoJSONResponse(JSONResponse):
    """JSON sent as ``application/geo+json`` (RFC 7946): features and collections of them."""

    media_type = "application/geo+json"
