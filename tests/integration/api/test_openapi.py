"""The OpenAPI document is complete: every operation has a typed success answer, every body
is a named schema, every error answer is an ErrorBody, and every route the CLI uses exists."""

from __future__ import annotations

import re
from typing import Any

import httpx

REF = "#/components/schemas/"
ERROR_BODIES = {REF + "ErrorBody", REF + "PlanErrorBody"}

EXPECTED_OPERATIONS = {
    ("get", "/healthz"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/directives"),
    ("get", "/api/v1/directives"),
    ("get", "/api/v1/directives/{directive_id}"),
    ("patch", "/api/v1/directives/{directive_id}"),
    ("delete", "/api/v1/directives/{directive_id}"),
    ("post", "/api/v1/directives/{directive_id}/start"),
    ("post", "/api/v1/directives/{directive_id}/pause"),
    ("post", "/api/v1/directives/{directive_id}/resume"),
    ("post", "/api/v1/directives/{directive_id}/stop"),
    ("get", "/api/v1/directives/{directive_id}/steps"),
    ("post", "/api/v1/directives/{directive_id}/steps"),
    ("post", "/api/v1/directives/{directive_id}/steps/batch"),
    ("post", "/api/v1/directives/{directive_id}/plan"),
    ("delete", "/api/v1/directives/{directive_id}/steps/{step_id}"),
    ("get", "/api/v1/directives/{directive_id}/tasks"),
    ("get", "/api/v1/tasks/{task_id}/output"),
    ("get", "/api/v1/directives/{directive_id}/events"),
    ("get", "/api/v1/directives/{directive_id}/events/stream"),
    ("get", "/api/v1/approvals"),
    ("post", "/api/v1/approvals/{approval_id}/approve"),
    ("post", "/api/v1/approvals/{approval_id}/deny"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
    ("patch", "/api/v1/orders/{order_id}"),
    ("post", "/api/v1/directives/{directive_id}/orders/link"),
    ("post", "/api/v1/directives/{directive_id}/orders/unlink"),
    ("get", "/api/v1/daemons"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
}


def _named(schema: dict[str, Any]) -> bool:
    """A $ref to a component, a list of them, or a nullable one."""
    if schema.get("$ref", "").startswith(REF):
        return True
    if schema.get("type") == "array":
        return _named(schema["items"])
    options = schema.get("anyOf", [])
    return bool(options) and all(_named(o) or o == {"type": "null"} for o in options)


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(REF)]
    return schema


def test_every_operation_is_typed(api_url: str) -> None:
    document = httpx.get(f"{api_url}/openapi.json").json()
    operations = {
        (method, path): op for path, ops in document["paths"].items() for method, op in ops.items()
    }
    assert operations.keys() >= EXPECTED_OPERATIONS

    for (method, path), op in operations.items():
        where = f"{method.upper()} {path}"
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert successes, where
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response, where
                continue
            content = response["content"]
            if "text/event-stream" in content:
                item = content["text/event-stream"]["itemSchema"]
                assert item["properties"]["data"]["contentSchema"] == {"$ref": REF + "EventPublic"}
                continue
            assert _named(content["application/json"]["schema"]), (where, content)

        if "requestBody" in op:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith(REF), (where, schema)
            assert _resolve(document, schema["$ref"]).get("type") == "object", where

        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        if path != "/healthz":
            assert "401" in errors, where
        for status, response in errors.items():
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref in ERROR_BODIES, (where, status, ref)

    assert "HTTPValidationError" not in document["components"]["schemas"]
    plan_422 = operations[("post", "/api/v1/directives/{directive_id}/plan")]["responses"]["422"]
    assert plan_422["content"]["application/json"]["schema"]["$ref"] == REF + "PlanErrorBody"
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_dashboard_is_served(api_url: str) -> None:
    response = httpx.get(f"{api_url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/v1/directives" in response.text
    # Self-contained: no CDN, no external script or stylesheet (the machine may be offline).
    assert not re.search(r"""(src|href)=["']?https?://""", response.text)
