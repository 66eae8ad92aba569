#!/usr/bin/env bash
# Builds pgs3 (release, a plain Release build of the binary with -O3, and ASan+UBSan), runs scripts/lint.sh, and runs
# the whole test suite: unit tests in both builds, then the integration tests (real PostgreSQL clusters started by the
# harness, output read back by DuckDB and hyparquet) against the release build, and a sanitizer pass of the
# integration tests that exercise the most code.
# Usage: scripts/test.sh [--quick]   (--quick: release build only, no sanitizer pass)
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/install-deps.sh || exit 1

jobs=$(nproc)
log_dir=$(mktemp -d /tmp/pgs3-test-logs.XXXXXX)
passed=0
failed=0
status=0
lint_failed=0

count_ctest() {  # "100% tests passed, 0 tests failed out of 42"
  local line total bad
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$1" | tail -n1)
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + ${total:-0} - ${bad:-0}))
  failed=$((failed + ${bad:-0}))
}
count_node() {  # every "ℹ pass 12" / "ℹ fail 0" summary of node's spec reporter (one per node --test run)
  local p f
  p=$(grep -aE "^(ℹ|#) pass [0-9]+" "$1" | awk '{s += $3} END {print s + 0}')
  f=$(grep -aE "^(ℹ|#) fail [0-9]+" "$1" | awk '{s += $3} END {print s + 0}')
  passed=$((passed + p))
  failed=$((failed + f))
}

build() {  # build PRESET
  echo "== build ($1)"
  cmake --preset "$1" >"$log_dir/cmake-$1.log" 2>&1 || { cat "$log_dir/cmake-$1.log"; return 1; }
  cmake --build "build/$1" -j "$jobs" || return 1
}

unit() {  # unit PRESET
  echo "== unit tests ($1)"
  (cd "build/$1" && ctest --output-on-failure -j "$jobs" --timeout 300) 2>&1 | tee "$log_dir/unit-$1.log"
  local rc=${PIPESTATUS[0]}
  count_ctest "$log_dir/unit-$1.log"
  return "$rc"
}

integration() {  # integration PRESET [FILES...]
  local preset=$1
  shift
  echo "== integration tests ($preset)"
  PGS3_BUILD_DIR="$PWD/build/$preset" PGS3_BIN="$PWD/build/$preset/pgs3" tests/integration/run.sh "$@" 2>&1 |
    tee "$log_dir/integration-$preset.log"
  local rc=${PIPESTATUS[0]}
  count_node "$log_dir/integration-$preset.log"
  return "$rc"
}

# A plain Release build (-O3, as `cmake -DCMAKE_BUILD_TYPE=Release` users build it) of the binary only: GCC warns at
# -O3 where it does not at the presets' levels.
plain_release() {
  echo "== build (plain Release, pgs3 only)"
  cmake -S . -B build/plain-release -DCMAKE_BUILD_TYPE=Release -DPGS3_WERROR=ON -DPGS3_BUILD_TESTS=OFF -G Ninja \
    >"$log_dir/cmake-plain-release.log" 2>&1 || { cat "$log_dir/cmake-plain-release.log"; return 1; }
  cmake --build build/plain-release -j "$jobs" --target pgs3 || return 1
}

lint() {  # counted as one test
  echo "== lint"
  if scripts/lint.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); lint_failed=1; return 1; fi
}

build release || exit 1
plain_release || exit 1
lint || status=1
unit release || status=1
integration release || status=1
if [ "$quick" -eq 0 ]; then
  build asan || exit 1
  ASAN_OPTIONS=detect_leaks=1 unit asan || status=1
  # The sanitizer pass runs the type, naming, bad-input and S3 suites (the 1M-row suite runs in release only) and
  # the CDC suites that crash, restart and reshape the stream.
  ASAN_OPTIONS=detect_leaks=1 integration asan tests/integration/full_load_types.test.mjs \
    tests/integration/full_load_names_selection.test.mjs tests/integration/full_load_errors.test.mjs \
    tests/integration/s3_full_load.test.mjs tests/integration/cdc_restart.test.mjs \
    tests/integration/cdc_schema.test.mjs || status=1
fi

echo
echo "logs: $log_dir"
echo "pgs3: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then  # the names, so that the tail of a CI log says what failed
  [ "$lint_failed" -eq 0 ] || echo "  - lint (scripts/lint.sh)"
  grep -ahE "\*\*\*(Failed|Timeout|Exception)|^ *✖ " "$log_dir"/unit-*.log "$log_dir"/integration-*.log 2>/dev/null |
    grep -av "failing tests:" | sort -u | sed 's/^ */  - /' | head -n 40
fi
[ "$failed" -eq 0 ] || status=1
exit "$status"
