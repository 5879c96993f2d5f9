"""The API's one mapping from errors to answers, and the OpenAPI description of them.

Every 4xx/5xx body is an `ErrorBody` (`error` code, `detail` sentence, `field` path); a
refused plan is a `PlanErrorBody` that also lists every problem, each naming its step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from orchestrator.dag import PlanValidationError
from orchestrator.errors import AuthError, MakimaError
from schemas.plans import PlanErrorBody, PlanProblemPublic
from schemas.statuses import IllegalTransitionError
from schemas.tokens import ErrorBody

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    500: "internal",
    503: "unavailable",
}

_DESCRIPTIONS = {
    401: "Missing, invalid, expired or revoked API key.",
    403: "A task key used outside its own directive.",
    404: "No such object for this owner (another owner's object answers the same).",
    409: "The object's current state forbids the request.",
    422: "Invalid input: `field` names the field and `detail` the reason.",
    503: "The database is unavailable.",
}


def error_responses(*statuses: int, plan: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses (plan routes: 422 lists problems)."""
    return {
        status: {
            "model": PlanErrorBody if plan and status == 422 else ErrorBody,
            "description": _DESCRIPTIONS[status]
            + (
                " A refused plan lists every problem in `problems`."
                if plan and status == 422
                else ""
            ),
        }
        for status in statuses
    }


def complete_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the handlers do: every error answers an ErrorBody.

    Routes that document an error status without a model, and FastAPI's default 422
    (`HTTPValidationError`, which this API never sends), get the `ErrorBody` schema.
    """
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    default_422 = "#/components/schemas/HTTPValidationError"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                json_schema = response.get("content", {}).get("application/json", {}).get("schema")
                if json_schema is None or json_schema.get("$ref") == default_422:
                    response["content"] = {"application/json": {"schema": dict(error_ref)}}
                    response.setdefault("description", _DESCRIPTIONS.get(int(status), "Error"))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def _answer(
    status: int,
    detail: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ERROR_CODES.get(status, "error"), detail=detail, field=field)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _field_path(loc: Sequence[int | str]) -> str:
    """("body", "plan", 0, "name") → "plan[0].name"; the source (body, query…) is dropped."""
    parts = list(loc[1:]) if len(loc) > 1 else list(loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


async def _makima_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MakimaError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthError) else None
    return _answer(exc.http_status, exc.message, exc.field, headers)


async def _plan_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PlanValidationError)
    problems = [
        PlanProblemPublic(step=p.step, field=p.field, reason=p.reason) for p in exc.problems
    ]
    body = PlanErrorBody(
        error="invalid_plan",
        detail="the plan was refused: " + "; ".join(str(p) for p in exc.problems),
        field="steps",
        problems=problems,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=422)


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    described = []
    for error in errors:
        path = _field_path(error.get("loc", ()))
        described.append(f"{path or 'body'}: {error.get('msg', 'invalid')}")
    field = _field_path(errors[0].get("loc", ())) if errors else None
    return _answer(422, "; ".join(described) or "invalid request", field or None)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _answer(exc.status_code, str(exc.detail), None, dict(exc.headers or {}) or None)


async def _illegal_transition(request: Request, exc: Exception) -> JSONResponse:
    return _answer(409, str(exc), "status")


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # The checks before each write should make this unreachable; if a constraint still
    # fires (a race the locks did not cover) the request was rolled back as a whole.
    log.warning("integrity error answered as 409: %s", exc)
    return _answer(409, "the request conflicts with the stored data; nothing was written")


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", exc)
    return _answer(503, "the database is unavailable; try again")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return _answer(500, "internal error; nothing was written")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MakimaError, _makima_error)
    app.add_exception_handler(PlanValidationError, _plan_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IllegalTransitionError, _illegal_transition)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(Exception, _unexpected)
