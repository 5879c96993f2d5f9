"""The server side of makima: models, phases, API, CLI."""

__version__ = "0.1.0"
