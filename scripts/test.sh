#!/usr/bin/env bash
# The whole suite: lint, types, tests on SQLite and on the real PostgreSQL.
set -euo pipefail
BIN="${VENV:-.venv}/bin"

# Local services the tests talk to for real (started only if not running).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"

"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy"
# Most of the suite waits (real subprocesses, schedulers' ticks, leases, servers): three
# workers on two cores keep the CPUs busy. Whole files go to one worker, so module-scoped
# fixtures (a real pipeline run) are built once. VEILLE_TEST_WORKERS=0 runs in one process.
"$BIN/python" -m pytest -n "${VEILLE_TEST_WORKERS:-3}" --dist loadfile "$@"
