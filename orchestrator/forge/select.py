"""Which forge a directive uses, and the forge object for it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from orchestrator.config import Settings
from orchestrator.forge.base import Forge, ForgeError
from schemas.enums import ForgeKind

if TYPE_CHECKING:
    from orchestrator.models import Directive

# https://github.com/o/r(.git), ssh://git@github.com/o/r(.git), git@github.com:o/r(.git)
_GITHUB_URL = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
    r"(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/(?P<name>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$"
)


def github_repository_from_url(url: str) -> str | None:
    """`owner/name` of a GitHub repository URL, or None for anything else."""
    found = _GITHUB_URL.match(url.strip())
    return f"{found['owner']}/{found['name']}" if found else None


def github_repository_of(directive: Directive) -> str | None:
    return directive.forge_repository or github_repository_from_url(directive.repository)


def forge_kind_of(directive: Directive) -> ForgeKind:
    """auto → GitHub for a GitHub repository, else local."""
    if directive.forge is not ForgeKind.AUTO:
        return directive.forge
    return ForgeKind.GITHUB if github_repository_of(directive) else ForgeKind.LOCAL


def github_forge_for(directive: Directive, settings: Settings) -> Forge:
    from orchestrator.forge.github import GitHubForge

    repository = github_repository_of(directive)
    if repository is None:
        raise ForgeError("the directive has no GitHub repository (set forge.repository)")
    if not settings.github_token:
        raise ForgeError(
            "MAKIMA_GITHUB_TOKEN is not set: the GitHub forge needs a token to open the PR"
        )
    return GitHubForge(
        repository=repository, token=settings.github_token, api_url=settings.github_api_url
    )
