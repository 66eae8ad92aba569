#!/usr/bin/env bash
# Checks the code's formatting (clang-format 14, .clang-format) and runs clang-tidy 14 (.clang-tidy, every enabled
# check an error) with the compile commands of the release build, which must exist (cmake --preset release &&
# cmake --build build/release: clang-tidy also needs the generated Thrift headers).
#
#   scripts/lint.sh                 clang-format on src/**/*.h and *.cc, clang-tidy on every src/**/*.cc
#   scripts/lint.sh FILE...         the same, on these files only (clang-tidy takes the .cc among them; headers are
#                                   checked through the .cc files that include them)
#
# clang-tidy runs LINT_JOBS files at a time (default: nproc); the whole tree takes minutes, so pass the files you
# changed while working. Exit status 0 when everything passes, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

build_dir=build/release
jobs=${LINT_JOBS:-$(nproc)}
status=0

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.h' 'src/*.cc')
fi

echo "== clang-format"
format_files=()
for f in "${files[@]}"; do
  case "$f" in *.h | *.cc) format_files+=("$f") ;; esac
done
if [ "${#format_files[@]}" -gt 0 ]; then
  clang-format-14 --dry-run --Werror "${format_files[@]}" || {
    echo "clang-format: the files above are not formatted; run clang-format-14 -i on them"
    status=1
  }
fi

echo "== clang-tidy"
tidy_files=()
for f in "${files[@]}"; do
  case "$f" in *.cc) tidy_files+=("$f") ;; esac
done
if [ "${#tidy_files[@]}" -gt 0 ]; then
  if [ ! -f "$build_dir/compile_commands.json" ]; then
    echo "clang-tidy: $build_dir/compile_commands.json is missing; run cmake --preset release && cmake --build $build_dir"
    exit 1
  fi
  log_dir=$(mktemp -d /tmp/pgs3-lint.XXXXXX)
  started=$SECONDS
  # One log per file; a file whose clang-tidy fails without printing a finding is recorded in failed.txt.
  printf '%s\n' "${tidy_files[@]}" |
    xargs -P "$jobs" -I{} sh -c 'log="$2/$(echo "$3" | tr / _).log"
      clang-tidy-14 --quiet -p "$1" "$3" >"$log" 2>&1 || echo "$3" >>"$2/failed.txt"' _ "$build_dir" "$log_dir" {}
  # Findings: "/abs/path/file.h:12:5: error: message [check-name,-warnings-as-errors]", once per header even when
  # several .cc files include it.
  findings=$(cat "$log_dir"/*.log |
    grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error): .*\[[^]]+\]$' | sed "s#^$PWD/##" | sort -u)
  new=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    echo "$line"
    new=$((new + 1))
  done <<<"$findings"
  if [ -f "$log_dir/failed.txt" ]; then
    while IFS= read -r f; do
      log="$log_dir/$(echo "$f" | tr / _).log"
      if ! grep -qE '^[^ :]+:[0-9]+:[0-9]+: (warning|error): ' "$log"; then
        echo "clang-tidy failed on $f without a finding:"
        cat "$log"
        new=$((new + 1))
      fi
    done <"$log_dir/failed.txt"
  fi
  echo "clang-tidy: ${#tidy_files[@]} file(s) in $((SECONDS - started))s, $new finding(s) (full output: $log_dir)"
  [ "$new" -eq 0 ] || status=1
fi

[ "$status" -eq 0 ] && echo "lint: passed" || echo "lint: FAILED"
exit "$status"
