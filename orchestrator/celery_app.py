"""The orchestrator's Celery app: phases, the tick and the records of daemon reports."""

from __future__ import annotations

from celery import Celery

app = Celery("makima")
app.config_from_object("celeryconfig")
app.conf.include = ["orchestrator.tasks"]
