"""Forges: where a directive's pull request is opened (GitHub REST API, or the local forge)."""
