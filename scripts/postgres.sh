#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use answers on 127.0.0.1:5432, starting the
# local cluster if it is down.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

if ! command -v pg_isready >/dev/null; then
  echo "PostgreSQL is not installed: the tests need a server on 127.0.0.1:5432 (set SANTHIUM_TEST_POSTGRES for another one)" >&2
  exit 1
fi
if ready; then exit 0; fi

echo "==> starting PostgreSQL"
for version in $(ls /etc/postgresql 2>/dev/null); do
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
done
for _ in $(seq 30); do
  if ready; then exit 0; fi
  sleep 1
done
echo "PostgreSQL does not answer on 127.0.0.1:5432 and could not be started (pg_ctlcluster ... main start)" >&2
exit 1
