"""Where the real Claude Code CLI is on this machine (CI installs it; its absence fails)."""

from __future__ import annotations

import os
import shutil

DEFAULT_CLAUDE = "/tmp/cc/node_modules/.bin/claude"


def find_claude() -> str | None:
    for candidate in (os.environ.get("MAKIMA_CLAUDE_PATH"), shutil.which("claude"),
                      DEFAULT_CLAUDE):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None
