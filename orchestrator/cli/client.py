"""A typed HTTP client for the makima API: schemas/ models in, schemas/ models out.

Every error answer becomes an `ApiError` (status, field, detail and a refused plan's
problems); a server that cannot be reached becomes an `UnreachableError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from orchestrator.cli.config import Connection
from orchestrator.cli.errors import EXIT_AUTH, EXIT_SERVER, ApiError, CliError, UnreachableError
from schemas.approvals import ApprovalDecision, ApprovalPublic, DenyDecision
from schemas.directives import DirectiveCreate, DirectivePublic, DirectiveUpdate
from schemas.enums import ApprovalStatus, EventType, OrderStatus
from schemas.evaluations import EvaluateRequest, EvaluationPublic
from schemas.events import EventPage, EventPublic, OutputPage
from schemas.fleet import DaemonPublic
from schemas.orders import OrderCreate, OrderLink, OrderPublic, OrderUpdate
from schemas.plans import PlanSubmission, StepBatch, StepSpec
from schemas.pulls import PullRequestPublic
from schemas.statuses import DirectiveStatus
from schemas.steps import DirectiveDetail, StepPublic, TaskPublic
from schemas.tokens import PrincipalPublic, TokenCreate, TokenCreated, TokenPublic

M = TypeVar("M")

API = "/api/v1"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# The event stream sends keep-alive comments; silence this long means a dead connection.
STREAM_TIMEOUT = httpx.Timeout(5.0, read=60.0)
NO_KEY = "no API key: set MAKIMA_API_KEY or run `makima auth login`"


def _problem_line(problem: Mapping[str, Any]) -> str:
    step, field, reason = problem.get("step"), problem.get("field"), problem.get("reason")
    where = f"step {step!r}" if step is not None else "plan"
    return f"{where}: {field}: {reason}"


def error_from_response(response: httpx.Response) -> ApiError:
    """Read an `ErrorBody` (or FastAPI's own 422 shape, or no JSON at all) into an ApiError."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:200] or response.reason_phrase or "error"
        return ApiError(status=status, error="http_error", detail=f"HTTP {status}: {text}")
    detail = body.get("detail")
    field = body.get("field")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        # FastAPI's request-validation shape: [{"loc": [...], "msg": ...}, ...]
        first = detail[0]
        loc = [str(part) for part in first.get("loc", []) if part != "body"]
        field = field or ".".join(loc) or None
        detail = str(first.get("msg", "invalid"))
    problems = body.get("problems") or []
    return ApiError(
        status=status,
        error=str(body.get("error", "http_error")),
        detail=str(detail or body.get("error") or f"HTTP {status}"),
        field=str(field) if field else None,
        problems=[_problem_line(p) for p in problems if isinstance(p, dict)],
    )


def _body(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_unset=True)


def _params(**values: object) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class ApiClient:
    def __init__(self, connection: Connection) -> None:
        self.url = connection.url
        headers = {"Accept": "application/json"}
        if connection.api_key:
            headers["Authorization"] = f"Bearer {connection.api_key}"
        self._has_key = bool(connection.api_key)
        self._http = httpx.Client(base_url=connection.url, headers=headers, timeout=TIMEOUT)

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, json_body: Any = None, params: Any = None
    ) -> httpx.Response:
        if not self._has_key:
            raise CliError(NO_KEY, exit_code=EXIT_AUTH)
        try:
            response = self._http.request(method, path, json=json_body, params=params)
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        if response.is_error:
            raise error_from_response(response)
        return response

    def unreachable(self, exc: httpx.TransportError) -> UnreachableError:
        reason = str(exc) or type(exc).__name__
        return UnreachableError(f"cannot reach makima at {self.url}: {reason}")

    def _call(
        self,
        kind: type[M],
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Any = None,
    ) -> M:
        response = self._send(method, path, json_body=json_body, params=params)
        return self._parse(kind, response.content)

    def _parse(self, kind: type[M], content: bytes | str) -> M:
        try:
            return TypeAdapter(kind).validate_json(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise CliError(
                f"unexpected answer from makima at {self.url}: {where}: {first['msg']}",
                exit_code=EXIT_SERVER,
            ) from exc

    # -- identity ---------------------------------------------------------------------

    def me(self) -> PrincipalPublic:
        return self._call(PrincipalPublic, "GET", f"{API}/me")

    # -- directives -------------------------------------------------------------------

    def create_directive(self, body: DirectiveCreate) -> DirectiveDetail:
        return self._call(DirectiveDetail, "POST", f"{API}/directives", json_body=_body(body))

    def list_directives(
        self,
        *,
        statuses: Sequence[DirectiveStatus] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DirectivePublic]:
        params = _params(limit=limit, offset=offset or None)
        if statuses:
            params["status"] = [str(s) for s in statuses]
        return self._call(list[DirectivePublic], "GET", f"{API}/directives", params=params)

    def pull_request(self, directive_id: UUID) -> PullRequestPublic:
        return self._call(
            PullRequestPublic, "GET", f"{API}/directives/{directive_id}/pull-request"
        )

    def get_directive(self, directive_id: UUID) -> DirectiveDetail:
        return self._call(DirectiveDetail, "GET", f"{API}/directives/{directive_id}")

    def update_directive(self, directive_id: UUID, body: DirectiveUpdate) -> DirectiveDetail:
        path = f"{API}/directives/{directive_id}"
        return self._call(DirectiveDetail, "PATCH", path, json_body=_body(body))

    def delete_directive(self, directive_id: UUID) -> None:
        self._send("DELETE", f"{API}/directives/{directive_id}")

    def directive_action(
        self, directive_id: UUID, action: str, *, reason: str | None = None
    ) -> DirectivePublic:
        """start, pause, resume or stop; only pause takes a reason."""
        body = {"reason": reason} if reason is not None else None
        path = f"{API}/directives/{directive_id}/{action}"
        return self._call(DirectivePublic, "POST", path, json_body=body)

    # -- steps and tasks --------------------------------------------------------------

    def list_steps(self, directive_id: UUID) -> list[StepPublic]:
        return self._call(list[StepPublic], "GET", f"{API}/directives/{directive_id}/steps")

    def add_step(self, directive_id: UUID, spec: StepSpec) -> StepPublic:
        path = f"{API}/directives/{directive_id}/steps"
        return self._call(StepPublic, "POST", path, json_body=_body(spec))

    def add_steps(self, directive_id: UUID, batch: StepBatch) -> list[StepPublic]:
        path = f"{API}/directives/{directive_id}/steps/batch"
        return self._call(list[StepPublic], "POST", path, json_body=_body(batch))

    def submit_plan(self, directive_id: UUID, plan: PlanSubmission) -> list[StepPublic]:
        path = f"{API}/directives/{directive_id}/plan"
        return self._call(list[StepPublic], "POST", path, json_body=_body(plan))

    def remove_step(self, directive_id: UUID, step_id: UUID) -> StepPublic:
        path = f"{API}/directives/{directive_id}/steps/{step_id}"
        return self._call(StepPublic, "DELETE", path)

    def list_evaluations(self, directive_id: UUID, step_id: UUID) -> list[EvaluationPublic]:
        path = f"{API}/directives/{directive_id}/steps/{step_id}/evaluations"
        return self._call(list[EvaluationPublic], "GET", path)

    def evaluate_step(
        self, directive_id: UUID, step_id: UUID, body: EvaluateRequest
    ) -> EvaluationPublic | None:
        """None when an evaluator task's verdict was kept for the end of its session."""
        path = f"{API}/directives/{directive_id}/steps/{step_id}/evaluate"
        response = self._send("POST", path, json_body=_body(body))
        if response.content.strip() in (b"", b"null"):
            return None
        return self._parse(EvaluationPublic, response.content)

    def list_tasks(self, directive_id: UUID) -> list[TaskPublic]:
        return self._call(list[TaskPublic], "GET", f"{API}/directives/{directive_id}/tasks")

    def task_output(
        self, task_id: UUID, *, after_id: int = 0, limit: int | None = None
    ) -> OutputPage:
        params = _params(after_id=after_id, limit=limit)
        return self._call(OutputPage, "GET", f"{API}/tasks/{task_id}/output", params=params)

    # -- events -----------------------------------------------------------------------

    def list_events(
        self,
        directive_id: UUID,
        *,
        after_id: int = 0,
        limit: int | None = None,
        types: Sequence[EventType] = (),
        step_id: UUID | None = None,
    ) -> EventPage:
        params: dict[str, Any] = _params(after_id=after_id, limit=limit, step_id=step_id)
        if types:
            params["type"] = [str(t) for t in types]
        path = f"{API}/directives/{directive_id}/events"
        return self._call(EventPage, "GET", path, params=params)

    def stream_events(self, directive_id: UUID, *, after_id: int) -> Iterator[EventPublic]:
        """One connection to the SSE stream, yielding events until the server closes it.

        A dropped connection raises httpx.TransportError; the caller reconnects from the
        last id it saw (sent both as `after_id` and as `Last-Event-ID`).
        """
        if not self._has_key:
            raise CliError(
                "no API key: set MAKIMA_API_KEY or run `makima auth login`", exit_code=EXIT_AUTH
            )
        path = f"{API}/directives/{directive_id}/events/stream"
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(after_id)}
        with self._http.stream(
            "GET", path, params={"after_id": after_id}, headers=headers, timeout=STREAM_TIMEOUT
        ) as response:
            if response.is_error:
                response.read()
                raise error_from_response(response)
            data: list[str] = []
            for line in response.iter_lines():
                if line == "":
                    if data:
                        yield self._parse(EventPublic, "\n".join(data))
                    data = []
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                # `id:`, `event:` and `:` keep-alive comments: the data carries all of it.

    # -- approvals --------------------------------------------------------------------

    def list_approvals(
        self, *, status: ApprovalStatus | None = None, directive_id: UUID | None = None
    ) -> list[ApprovalPublic]:
        params = _params(status=status, directive_id=directive_id)
        return self._call(list[ApprovalPublic], "GET", f"{API}/approvals", params=params)

    def approve(self, approval_id: UUID, body: ApprovalDecision) -> ApprovalPublic:
        path = f"{API}/approvals/{approval_id}/approve"
        return self._call(ApprovalPublic, "POST", path, json_body=_body(body))

    def deny(self, approval_id: UUID, body: DenyDecision) -> ApprovalPublic:
        path = f"{API}/approvals/{approval_id}/deny"
        return self._call(ApprovalPublic, "POST", path, json_body=_body(body))

    # -- orders -----------------------------------------------------------------------

    def create_order(self, body: OrderCreate) -> OrderPublic:
        return self._call(OrderPublic, "POST", f"{API}/orders", json_body=_body(body))

    def list_orders(
        self, *, status: OrderStatus | None = None, directive_id: UUID | None = None
    ) -> list[OrderPublic]:
        params = _params(status=status, directive_id=directive_id)
        return self._call(list[OrderPublic], "GET", f"{API}/orders", params=params)

    def get_order(self, order_id: UUID) -> OrderPublic:
        return self._call(OrderPublic, "GET", f"{API}/orders/{order_id}")

    def update_order(self, order_id: UUID, body: OrderUpdate) -> OrderPublic:
        path = f"{API}/orders/{order_id}"
        return self._call(OrderPublic, "PATCH", path, json_body=_body(body))

    def link_orders(self, directive_id: UUID, body: OrderLink, *, unlink: bool) -> None:
        action = "unlink" if unlink else "link"
        self._send(
            "POST", f"{API}/directives/{directive_id}/orders/{action}", json_body=_body(body)
        )

    # -- fleet and tokens -------------------------------------------------------------

    def list_daemons(self) -> list[DaemonPublic]:
        return self._call(list[DaemonPublic], "GET", f"{API}/daemons")

    def list_tokens(self) -> list[TokenPublic]:
        return self._call(list[TokenPublic], "GET", f"{API}/tokens")

    def create_token(self, body: TokenCreate) -> TokenCreated:
        return self._call(TokenCreated, "POST", f"{API}/tokens", json_body=_body(body))

    def revoke_token(self, token_id: UUID) -> None:
        self._send("DELETE", f"{API}/tokens/{token_id}")
