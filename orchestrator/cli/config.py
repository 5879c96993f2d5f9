"""Where the CLI finds the API: `--url/--api-key`, then `MAKIMA_URL/MAKIMA_API_KEY`, then
the file `$MAKIMA_HOME/cli.json` (default `~/.makima/cli.json`) that `makima auth login`
writes with mode 0600, then the local default URL.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.cli.errors import InputError

DEFAULT_URL = "http://127.0.0.1:8765"
CONFIG_FILE = "cli.json"


class CliConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1)
    api_key: str = Field(min_length=1)


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str | None


def makima_home() -> Path:
    home = os.environ.get("MAKIMA_HOME")
    return Path(home).expanduser() if home else Path.home() / ".makima"


def config_path() -> Path:
    return makima_home() / CONFIG_FILE


def read_config(path: Path | None = None) -> CliConfigFile | None:
    """The saved login, or None when there is none; a damaged file is an error, not ignored."""
    path = path or config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", field=str(path)) from exc
    try:
        return CliConfigFile.model_validate_json(text)
    except ValidationError as exc:
        raise InputError(
            "not a valid makima CLI config (run `makima auth login` again)", field=str(path)
        ) from exc


def write_config(config: CliConfigFile, path: Path | None = None) -> Path:
    """Write atomically with mode 0600: the file holds a secret, and is never half-written."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cli-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(config.model_dump(), indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def resolve_connection(url: str | None, api_key: str | None) -> Connection:
    """Options and environment (already merged by the option parser) win over the file.

    The saved key is used only for the saved URL, so pointing the CLI at another server
    never sends it the key of the first one.
    """
    saved = read_config() if url is None or api_key is None else None
    resolved_url = (url or (saved.url if saved else None) or DEFAULT_URL).rstrip("/")
    if api_key is None and saved is not None and saved.url.rstrip("/") == resolved_url:
        api_key = saved.api_key
    return Connection(url=resolved_url, api_key=api_key)
