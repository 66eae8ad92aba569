#!/usr/bin/env bash
# The torture run (issue 12): bench/torture.mjs after installing dependencies and building release. Not in CI (about
# 10 minutes per format at 100 kills); its short variant is tests/integration/cdc_torture.test.mjs.
#
#   bench/torture.sh                                   # 100 kills each for parquet, csv, csv-txn
#   TORTURE_KILLS=20 TORTURE_FORMATS=parquet bench/torture.sh
#   PGS3_BIN=build/mine/pgs3 bench/torture.sh          # another binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGS3_BIN:-}" ]; then
  scripts/install-deps.sh >/dev/null
  cmake --preset release >/dev/null && cmake --build build/release -j "$(nproc)" --target pgs3 >/dev/null
  export PGS3_BIN=$PWD/build/release/pgs3
fi
export PGS3_BIN
export PGS3_BUILD_DIR=${PGS3_BUILD_DIR:-$(dirname "$(realpath "$PGS3_BIN")")}
PGS3_IT_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgs3-torture-run.XXXXXX")
export PGS3_IT_RUN_DIR
trap 'rm -rf "$PGS3_IT_RUN_DIR"' EXIT
node bench/torture.mjs
