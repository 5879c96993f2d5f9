"""Thin, owner-scoped data functions: session first, ids keyword-only; they flush, never
commit, so the caller (one API request, one Celery task) owns the transaction."""
