#!/usr/bin/env bash
# Runs the integration suite against real PostgreSQL 15 (throwaway clusters on 127.0.0.1, one per test file):
# every tests/integration/*.test.mjs (or the files given), then zz_password_leak.test.mjs, which searches everything
# pgs3 printed during the run for the passwords used.
#
#   tests/integration/run.sh [TEST_FILE...]
#
# Environment: PGS3_BIN (default build/release/pgs3), PGS3_IT_CONCURRENCY (test files run at once, default 2),
# PGS3_IT_KEEP=1 (keep clusters, targets and the run directory for debugging).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

command -v node >/dev/null || { echo "run.sh: node is missing (scripts/install-deps.sh)" >&2; exit 2; }
[ -d "$repo/tests/tools/node_modules" ] || { echo "run.sh: tests/tools/node_modules is missing (scripts/install-deps.sh)" >&2; exit 2; }

PGS3_IT_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgs3-it-run.XXXXXX")
export PGS3_IT_RUN_DIR
if [ "${PGS3_IT_KEEP:-0}" = 1 ]; then
  echo "run.sh: keeping $PGS3_IT_RUN_DIR" >&2
else
  trap 'rm -rf "$PGS3_IT_RUN_DIR"' EXIT
fi

files=()
if [ $# -gt 0 ]; then
  for f in "$@"; do case "$(basename "$f")" in zz_*) ;; *) files+=("$f") ;; esac; done
else
  for f in "$here"/*.test.mjs; do case "$(basename "$f")" in zz_*) ;; *) files+=("$f") ;; esac; done
fi

status=0
if [ ${#files[@]} -gt 0 ]; then
  node --test --test-reporter=spec --test-concurrency="${PGS3_IT_CONCURRENCY:-2}" "${files[@]}" || status=$?
fi
node --test --test-reporter=spec "$here"/zz_password_leak.test.mjs || status=$?
exit $status
