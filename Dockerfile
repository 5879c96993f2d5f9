# One image for every makima service. Two targets:
#   makima          (default)  api, orchestrator worker, beat, flower, `makima db upgrade`
#   makima-daemon   --target daemon: adds Node.js and the Claude Code CLI for agent sessions
# docker-compose.yml builds both.

FROM python:3.11-slim-trixie AS base

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: daemons clone, branch, commit and push; the orchestrator merges step branches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Celery refuses nothing as root but warns, and agents should not run as root: one user.
# /var/lib/makima exists (owned by it) so named volumes mounted there inherit the owner.
RUN useradd --create-home --uid 1000 makima \
 && mkdir -p /var/lib/makima \
 && chown makima:makima /var/lib/makima

WORKDIR /opt/makima
COPY pyproject.toml README.md celeryconfig.py ./
COPY orchestrator ./orchestrator
COPY workers ./workers
COPY schemas ./schemas
RUN pip install .

USER makima
WORKDIR /var/lib/makima
EXPOSE 8765 5555
CMD ["makima", "--help"]


FROM base AS daemon

USER root
# Debian trixie ships Node.js 20. CLAUDE_CODE_VERSION defaults to the release CI tests
# against (the last one that declares Node 20 support).
ARG CLAUDE_CODE_VERSION=2.1.197
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g --no-audit --no-fund "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
 && npm cache clean --force

USER makima
CMD ["makima", "daemon"]
