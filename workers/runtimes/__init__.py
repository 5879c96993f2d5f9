"""Agent runtimes by name. To add one: write a `Runtime` subclass, add one line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workers.config import DaemonSettings
from workers.runtimes.base import Runtime
from workers.runtimes.claude import ClaudeRuntime
from workers.runtimes.scripted import ScriptedRuntime

RUNTIMES: Mapping[str, Callable[[DaemonSettings], Runtime]] = {
    ClaudeRuntime.name: ClaudeRuntime.from_settings,
    ScriptedRuntime.name: ScriptedRuntime.from_settings,
}


def build_runtimes(settings: DaemonSettings) -> dict[str, Runtime]:
    """The runtimes this daemon offers: allowed by its settings and available here."""
    allowed = settings.runtimes or tuple(RUNTIMES)
    built = {name: RUNTIMES[name](settings) for name in allowed if name in RUNTIMES}
    return {name: runtime for name, runtime in built.items() if runtime.is_available()}
