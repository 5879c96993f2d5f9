"""The API application factory: `uvicorn orchestrator.api.app:create_app --factory`.

Nothing connects at import or at creation: the engine is made on the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from orchestrator.api.deps import SessionDep
from orchestrator.api.errors import (
    complete_error_responses,
    error_responses,
    install_error_handlers,
)
from orchestrator.api.routes import (
    approvals,
    daemons,
    directives,
    evaluations,
    events,
    orders,
    pulls,
    steps,
    tasks,
    tokens,
)
from schemas.tokens import HealthStatus

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard" / "index.html"


def create_app() -> FastAPI:
    app = FastAPI(
        title="makima",
        version="0.1.0",
        description=(
            "Hand a goal for a git repository to a fleet of coding agents. Every route but "
            "`/healthz` needs `Authorization: Bearer <API key>`; every error answers an "
            "`ErrorBody` naming the field and the reason."
        ),
    )
    install_error_handlers(app)
    routers = (
        directives, steps, evaluations, tasks, events, approvals, orders, pulls, daemons, tokens,
    )
    for module in routers:
        app.include_router(module.router, responses=error_responses(401))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_error_responses(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(
        "/healthz",
        response_model=HealthStatus,
        responses=error_responses(503),
        tags=["health"],
        summary="Liveness: answers once the database answers",
    )
    def healthz(session: SessionDep) -> HealthStatus:
        session.execute(text("SELECT 1"))
        return HealthStatus(status="ok")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse(DASHBOARD.read_text(encoding="utf-8"))

    return app
