"""The HTTP API (FastAPI): owner-scoped routes, one transaction per request."""
