"""Printing: aligned plain-text tables for people, the schemas' JSON for programs.

`--json` always prints exactly the API's model (or a list of them), so a program reading
the CLI reads the same shapes as one calling the API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import typer
from pydantic import BaseModel

from schemas.events import EventPublic


def print_json(value: BaseModel | Sequence[BaseModel]) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    else:
        typer.echo(json.dumps([item.model_dump(mode="json") for item in value], indent=2))


def print_json_line(value: BaseModel) -> None:
    """One object per line (JSON Lines), for streams."""
    typer.echo(value.model_dump_json())


def one_line(text: str, width: int = 60) -> str:
    """The first line of `text`, cut to `width` characters; `…` marks anything left out."""
    lines = text.strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    if len(first) > width:
        return first[: width - 1].rstrip() + "…"
    return first + (" …" if len(lines) > 1 else "")


def short_id(value: UUID | None) -> str:
    return value.hex[:8] if value is not None else "-"


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def money(value: Decimal) -> str:
    return f"${value:.2f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> None:
    """Columns padded to their widest cell; the last column is never padded."""
    if not rows:
        typer.echo(empty)
        return
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    for row in [list(headers), *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        typer.echo("  ".join(cells).rstrip())


def print_fields(pairs: Sequence[tuple[str, str]]) -> None:
    """`label  value` lines with aligned values; multi-line values stay indented."""
    width = max((len(label) for label, _ in pairs), default=0)
    for label, value in pairs:
        lines = value.splitlines() or [""]
        typer.echo(f"{label.ljust(width)}  {lines[0]}".rstrip())
        for line in lines[1:]:
            typer.echo(f"{' ' * width}  {line}".rstrip())


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "-"


def event_line(event: EventPublic) -> str:
    """`time  severity  type  message` for one event of the log."""
    return (
        f"{when(event.created_at)}  {event.severity.value:<7}  {event.type.value:<18}  "
        f"{event.message}"
    )
