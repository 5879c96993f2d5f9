"""`python -m workers --pool P --concurrency N [--name X] [--work-dir DIR]`: run a daemon."""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas.wire import DEFAULT_POOL
from workers.daemon import run_daemon


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers",
                                     description="Run a makima daemon (agent sessions).")
    parser.add_argument("--pool", default=DEFAULT_POOL, help="pool (queue daemons.<pool>)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="sessions run at once (the daemon's capacity)")
    parser.add_argument("--name", default=None, help="daemon name (default <host>-<pid>)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="worktrees, repository caches and agent state")
    args = parser.parse_args(argv)
    run_daemon(args.pool, args.concurrency, args.name, args.work_dir)


if __name__ == "__main__":
    main()
