"""Pydantic models shared by the orchestrator, the API, the CLI and the daemons."""
