"""Local input, read and validated before anything is sent (so nothing is half-written).

Every refusal names where the problem is: the option, the file with line and column, or
the plan step and field.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orchestrator.cli.errors import InputError
from schemas.plans import PlanSubmission, StepBatch

STDIN = "-"
M = TypeVar("M", bound=BaseModel)


def read_text(source: str | None, *, label: str) -> tuple[str, str]:
    """(text, where) from a file path, or from stdin for None or `-`."""
    if source is None or source == STDIN:
        if sys.stdin.isatty():
            raise InputError(
                "nothing on stdin: give a file with --file, or pipe the input in", field=label
            )
        return sys.stdin.read(), "stdin"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read {source}: {reason}", field=label) from exc


def read_json(source: str | None, *, label: str) -> Any:
    text, where = read_text(source, label=label)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON in {where} at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            field=label,
        ) from exc


def _problems(exc: ValidationError, data: Any) -> list[str]:
    """One line per pydantic error, naming the step (by name when it has one) and field."""
    steps = data.get("steps") if isinstance(data, dict) else None
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            index = loc[1]
            step = steps[index] if isinstance(steps, list) and index < len(steps) else None
            name = step.get("name") if isinstance(step, dict) else None
            where = f"step {name!r}" if isinstance(name, str) and name else f"step #{index + 1}"
            field = ".".join(str(part) for part in loc[2:]) or "step"
        else:
            where, field = "plan", ".".join(str(part) for part in loc) or "plan"
        lines.append(f"{where}: {field}: {reason}")
    return lines


def _validate_plan(model: type[M], data: Any, *, label: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, data)
        count = len(problems)
        raise InputError(
            f"plan invalid: {count} problem{'s' if count != 1 else ''}",
            field=label,
            details=problems,
        ) from exc


def _as_object(data: Any, *, label: str) -> dict[str, Any]:
    if isinstance(data, list):
        return {"steps": data}
    if isinstance(data, dict):
        return data
    raise InputError(
        'expected an object {"steps": [...]} or a list of steps, not ' + type(data).__name__,
        field=label,
    )


def parse_plan(data: Any, *, label: str) -> PlanSubmission:
    """`{"steps": [...], "remove": [...]}` or a bare list of steps."""
    return _validate_plan(PlanSubmission, _as_object(data, label=label), label=label)


def parse_batch(data: Any, *, label: str) -> StepBatch:
    """`{"steps": [...]}` or a bare list of steps (no removals: that is submit-plan's job)."""
    return _validate_plan(StepBatch, _as_object(data, label=label), label=label)


def validate_options(model: type[M], values: Mapping[str, Any], options: Mapping[str, str]) -> M:
    """Build a request body from options; an error names the option, not the JSON field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc) or model.__name__
        for end in range(len(loc), -1, -1):
            key = ".".join(loc[:end])
            if key in options:
                field = options[key]
                break
        raise InputError(error["msg"].removeprefix("Value error, "), field=field) from exc


def split_command(text: str, *, option: str) -> list[str]:
    """A command line given as one string, split like a shell would, never run by one."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"cannot split {text!r}: {exc}", field=option) from exc
    if not argv:
        raise InputError("empty command", field=option)
    return argv
