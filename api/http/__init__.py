"""The HTTP API: `create_app(services)` builds it; one module per resource under `routes/`."""

from api.http.app import create_app

__all__ = ["create_app"]
