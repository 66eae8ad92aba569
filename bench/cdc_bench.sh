#!/usr/bin/env bash
# CDC benchmark (issue 3): pgs3's logical replication against `pg_recvlogical` with pgoutput into /dev/null, in the
# same run on the same throwaway PostgreSQL 15 cluster (scripts/pg-cluster.sh, 127.0.0.1). Prints:
#   1. backlog drain: BENCH_CHANGES changes (default 2,000,000: inserts/updates/deletes 50/40/10 in transactions of
#      100 on a pgbench-like accounts table) made after both slots exist, drained by pg_recvlogical (--endpos) and by
#      `pgs3 run --cdc-stop-position` into a local directory: seconds, changes/s, peak RSS, ratio pgs3/pg_recvlogical;
#      the change files are read back with DuckDB and their I/U/D counts checked against what was generated;
#   2. latency at a steady BENCH_RATE changes/s (default 5,000; 100-row transactions) for BENCH_LATENCY_SECONDS
#      (default 30) with CdcMaxBatchInterval 1: each row carries clock_timestamp() at insert, a watcher
#      (bench/cdc_files.mjs) stamps every change file when it first sees it and prints seen - committed, p50/p99
#      (also against the TimestampColumnName commit time); then the time pgs3 takes to exit after SIGTERM;
#      "stall": the same into the S3 test server behind tests/tools/fault-proxy.mjs, which answers nothing for
#      BENCH_STALL_SECONDS (default 10) a third of the way in, with wal_sender_timeout = 10 s: the latencies, and
#      whether the walsender kept its connection;
#   3. one transaction of BENCH_TXN_ROWS rows (default 2,000,000; INSERT ... SELECT generate_series) replicated with
#      the default memory budget and with BENCH_SMALL_BUDGET_MB (default 16, the least pgs3 accepts; taskSettings.
#      ChangeProcessingTuning.MemoryLimitTotal): peak RSS of each, and the peak size of the spill directory (TMPDIR).
#
#   bench/cdc_bench.sh                                # builds release first
#   BENCH_CHANGES=200000 BENCH_TXN_ROWS=200000 BENCH_LATENCY_SECONDS=10 bench/cdc_bench.sh   # a quick run
#   PGS3_BIN=build/mine/pgs3 bench/cdc_bench.sh       # another binary, no build
#      with BENCH_DRAIN_S3=1 (the default) the same backlog is also drained into the project's S3 test server
#      (tests/tools/s3-server, 127.0.0.1): seconds, changes/s, peak RSS, rate against pg_recvlogical's;
#   4. memory under many wide tables (issue 12): BENCH_WIDE_TABLES tables (default 200) of 30 columns, one of them a
#      2 kB text, BENCH_WIDE_ROWS rows each (default 2,000), inserted one row per table per transaction, replicated
#      under MemoryLimitTotal BENCH_WIDE_BUDGET_MB (default 64): peak RSS against the budget, peak spill.
#
#   BENCH_STEPS="drain latency stall txn wide"        # the parts to run (default all five)
#   BENCH_RECV_OPTIONS="-o binary=true"               # extra pgoutput options for pg_recvlogical
#   BENCH_TXN_PAD=8                                   # step 3: each row also carries 8 x 32 incompressible characters
#                                                     # (the default rows make a ~30 MB Parquet file: 2M x 300 B > 512 MB)
# Every run is bounded by BENCH_TIMEOUT seconds (default 1800); everything started is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
changes=${BENCH_CHANGES:-2000000}
rate=${BENCH_RATE:-5000}
latency_s=${BENCH_LATENCY_SECONDS:-30}
txn_rows=${BENCH_TXN_ROWS:-2000000}
txn_pad=${BENCH_TXN_PAD:-0}
small_budget=${BENCH_SMALL_BUDGET_MB:-16}
steps=${BENCH_STEPS:-drain latency stall txn wide}
wide_tables=${BENCH_WIDE_TABLES:-200}
wide_rows=${BENCH_WIDE_ROWS:-2000}
wide_budget=${BENCH_WIDE_BUDGET_MB:-64}
stall_s=${BENCH_STALL_SECONDS:-10}
run_timeout=${BENCH_TIMEOUT:-1800}
if [ $((changes % 100)) -ne 0 ] || [ "$changes" -lt 100 ]; then echo "BENCH_CHANGES must be a multiple of 100" >&2; exit 2; fi

if [ -n "${PGS3_BIN:-}" ]; then
  pgs3=$(realpath "$PGS3_BIN")
else
  scripts/install-deps.sh >/dev/null
  cmake --preset release >/dev/null && cmake --build build/release -j "$(nproc)" --target pgs3 >/dev/null
  pgs3=$PWD/build/release/pgs3
fi
[ -x "$pgs3" ] || { echo "no pgs3 binary at $pgs3" >&2; exit 2; }
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
files_js=$PWD/bench/cdc_files.mjs

work=$(mktemp -d /tmp/pgs3-cdcbench.XXXXXX)
chmod 755 "$work"
cluster="$work/pg"
bg_pids=()
forget_pid() { local p keep=(); for p in "${bg_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; bg_pids=("${keep[@]}"); }
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
# A bigger WAL budget so that checkpoints do not dominate the generation; the server's own settings otherwise.
eval "export $(PGS3_PG_CONF="max_wal_size=8GB shared_buffers=512MB" scripts/pg-cluster.sh start "$cluster")"
export PGDATABASE=postgres
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql1() { psql -X -A -t -v ON_ERROR_STOP=1 -c "$1"; }
# The WAL insert position: it includes every commit made so far. pg_current_wal_lsn() is the write position, which
# with synchronous_commit=off (scripts/pg-cluster.sh) can still be before the last commit records.
lsn_now() { sql1 "SELECT pg_current_wal_insert_lsn()"; }
now_s() { date +%s.%N; }
summary=$work/summary
: >"$summary"
# say FORMAT ARGS...: printf to the terminal and to the summary printed at the end.
# shellcheck disable=SC2059
say() { local format=$1; shift; printf "$format" "$@" | tee -a "$summary"; }
fail_with_log() { echo "FAILED: $1" >&2; [ -f "$2" ] && tail -n 40 "$2" >&2; exit 1; }

# write_task FILE TASK_ID TABLE TARGET_DIR 'EXTRA_S3_SETTINGS' 'TASK_SETTINGS'
write_task() {
  cat >"$1" <<JSON
{ "taskId": "$2", "migrationType": "cdc",
  "source": { "connection": "host=$PGHOST port=$PGPORT dbname=postgres user=$PGUSER" },
  "target": { "type": "local", "path": "$4",
              "s3Settings": { "DataFormat": "parquet", "CompressionType": "snappy", "BucketFolder": "bench"$5 } },
  "tableMappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
      "object-locator": { "schema-name": "public", "table-name": "$3" }, "rule-action": "include" } ] },
  "taskSettings": { ${6:-} } }
JSON
}

slot_of() { echo "pgs3_$1" | tr 'A-Z-' 'a-z_'; }

# Runs pgs3 once with a stop position at the current WAL end, so that it creates its slot and publication before
# the changes to measure are made. Checks that both exist afterwards.
create_pgs3_slot() {  # TASK_FILE TASK_ID LABEL
  local stop
  stop=$(lsn_now)
  timeout -k 10 120 "$pgs3" run "$1" --cdc-stop-position "$stop" --log-format text --no-progress \
    >"$work/$3.log" 2>&1 || fail_with_log "pgs3 run --cdc-stop-position $stop (slot creation, $3) exited $?" "$work/$3.log"
  local slot
  slot=$(slot_of "$2")
  [ "$(sql1 "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot' AND plugin = 'pgoutput'")" = 1 ] \
    || fail_with_log "pgs3 exited 0 but slot $slot does not exist" "$work/$3.log"
  [ "$(sql1 "SELECT count(*) FROM pg_publication WHERE pubname = '$slot'")" = 1 ] \
    || fail_with_log "pgs3 exited 0 but publication $slot does not exist" "$work/$3.log"
}

# measure LABEL SPILL_DIR COMMAND...: runs COMMAND under /usr/bin/time, bounded by BENCH_TIMEOUT (timeout(1) is
# outermost, so killing its PID stops the whole process group); leaves $work/LABEL.secs (wall seconds),
# $work/LABEL.rss (peak RSS, KB), $work/LABEL.spill (peak bytes under SPILL_DIR, sampled every 0.2 s; "-" for none)
# and $work/LABEL.log (stdout+stderr). Returns the command's exit code.
measure() {
  local label=$1 spill=$2; shift 2
  local s e pid rc=0 peak=0 b
  s=$(now_s)
  timeout -k 10 "$run_timeout" /usr/bin/time -f "%M" -o "$work/$label.rss" "$@" >"$work/$label.log" 2>&1 &
  pid=$!
  bg_pids+=("$pid")
  if [ "$spill" != - ]; then
    while kill -0 "$pid" 2>/dev/null; do
      b=$(du -sb "$spill" 2>/dev/null | awk '{print $1}') || b=0
      [ "${b:-0}" -gt "$peak" ] && peak=$b
      sleep 0.2
    done
  fi
  wait "$pid" || rc=$?
  forget_pid "$pid"
  e=$(now_s)
  echo "$e - $s" | bc -l >"$work/$label.secs"
  if [ "$spill" != - ]; then echo "$peak" >"$work/$label.spill"; else echo - >"$work/$label.spill"; fi
  # /usr/bin/time writes "Command exited with non-zero status N" before the figure when the command fails.
  if [ -s "$work/$label.rss" ]; then tail -n 1 "$work/$label.rss" >"$work/$label.rss.kb"; else echo 0 >"$work/$label.rss.kb"; fi
  mv "$work/$label.rss.kb" "$work/$label.rss"
  return $rc
}

# start_s3_server: the project's S3 test server on 127.0.0.1 (SigV4 checked), bucket "lake", data under $work/s3;
# sets s3_endpoint and the AWS_* variables pgs3 and the AWS CLI read. Once per run.
start_s3_server() {
  [ -n "${s3_endpoint:-}" ] && return 0
  export AWS_ACCESS_KEY_ID=AKIABENCH$(date +%s) AWS_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '+/=')
  export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$work/none
  node tests/tools/s3-server/main.mjs --port 0 --region us-east-1 --bucket lake --data-dir "$work/s3" \
    >"$work/s3-server.json" 2>"$work/s3-server.log" &
  bg_pids+=("$!")
  for _ in $(seq 100); do [ -s "$work/s3-server.json" ] && break; sleep 0.1; done
  s3_endpoint=$(endpoint_of "$work/s3-server.json")
}
endpoint_of() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).endpoint)' "$1"; }
# point_at_s3 TASK_FILE ENDPOINT: a task written by write_task with target path /unused goes to S3 instead.
point_at_s3() {
  sed -i "s|\"type\": \"local\", \"path\": \"/unused\"|\"type\": \"s3\", \"endpointUrl\": \"$2\", \"region\": \"us-east-1\"|" "$1"
}

count_files() { node "$files_js" count "$1"; }
json_get() { node -e 'const o=JSON.parse(process.argv[1]); let v=o; for (const k of process.argv[2].split(".")) v=v?.[k]; console.log(v ?? 0)' "$1" "$2"; }
check_count() {  # LABEL JSON OP EXPECTED
  local got
  got=$(json_get "$2" "ops.$3")
  if [ "$got" = "$4" ]; then say "  check %-28s %s rows %s: %s OK\n" "$1" "$3" "$4" "$got"
  else say "  check %-28s %s rows expected %s, found %s  MISMATCH\n" "$1" "$3" "$4" "$got"; mismatches=$((mismatches + 1)); fi
}
mismatches=0
say "pgs3: %s\nPostgreSQL: %s\n" "$pgs3" "$(sql1 'SHOW server_version')"

# ---------------------------------------------------------------------------------------------------------------
# 1. Backlog drain.
if [[ " $steps " == *" drain "* ]]; then
  psql_q <<SQL
CREATE TABLE accounts (aid bigint PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
INSERT INTO accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, 100000) g;
VACUUM ANALYZE accounts;
SQL
  write_task "$work/drain.json" cdc-bench accounts "$work/out-drain" "" ""
  create_pgs3_slot "$work/drain.json" cdc-bench drain-setup
  pub=$(slot_of cdc-bench)
  # The same backlog drained into S3: the project's S3 test server on 127.0.0.1 (SigV4 checked), a slot of its own.
  if [ "${BENCH_DRAIN_S3:-1}" = 1 ]; then
    start_s3_server
    write_task "$work/drain-s3.json" cdc-bench-s3 accounts /unused ', "BucketName": "lake"' ""
    point_at_s3 "$work/drain-s3.json" "$s3_endpoint"
    create_pgs3_slot "$work/drain-s3.json" cdc-bench-s3 drain-s3-setup
  fi
  sql1 "SELECT pg_create_logical_replication_slot('cdc_bench_recvlogical', 'pgoutput')" >/dev/null

  txns=$((changes / 100))
  echo "generating $changes changes ($txns transactions of 50 inserts, 40 updates, 10 deletes) ..."
  # Transaction k inserts 50 new rows, updates 40 of the rows transaction k-1 inserted and deletes 10 of those
  # transaction k-2 inserted (which k-1 did not update); k = 0 and 1 update and delete the preloaded rows.
  gs=$(now_s)
  psql_q <<SQL
DO \$\$
DECLARE b bigint;
BEGIN
  FOR k IN 0..$((txns - 1)) LOOP
    b := 100001 + k * 50;
    INSERT INTO accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(b, b + 49) g;
    UPDATE accounts SET abalance = abalance + k WHERE aid BETWEEN b - 50 AND b - 11;
    DELETE FROM accounts WHERE aid BETWEEN b - 60 AND b - 51;
    COMMIT;
  END LOOP;
END \$\$;
SQL
  ge=$(now_s)
  endpos=$(lsn_now)
  wal_bytes=$(sql1 "SELECT pg_wal_lsn_diff('$endpos', confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name = '$pub'")
  say "backlog                        %d changes in %d transactions, generated in %.1f s, %.0f MB of WAL, end %s\n" \
    "$changes" "$txns" "$(echo "$ge - $gs" | bc -l)" "$(echo "$wal_bytes / 1000000" | bc -l)" "$endpos"

  echo "draining with pg_recvlogical ..."
  # shellcheck disable=SC2086
  measure recvlogical - "$pg_bin/pg_recvlogical" -d postgres --slot=cdc_bench_recvlogical --start --no-loop \
    --plugin=pgoutput -o proto_version=1 -o "publication_names=$pub" ${BENCH_RECV_OPTIONS:-} -f /dev/null \
    --endpos="$endpos" || fail_with_log "pg_recvlogical exited $?" "$work/recvlogical.log"
  sql1 "SELECT pg_drop_replication_slot('cdc_bench_recvlogical')" >/dev/null

  echo "draining with pgs3 ..."
  mkdir -p "$work/spill-drain"
  measure pgs3-drain "$work/spill-drain" env TMPDIR="$work/spill-drain" \
    "$pgs3" run "$work/drain.json" --cdc-stop-position "$endpos" --log-format text --no-progress \
    || fail_with_log "pgs3 run --cdc-stop-position $endpos exited $?" "$work/pgs3-drain.log"
  confirmed=$(sql1 "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$pub'")
  reached=$(sql1 "SELECT '$confirmed'::pg_lsn >= '$endpos'::pg_lsn")
  counts=$(count_files "$work/out-drain")

  rs=$(cat "$work/recvlogical.secs"); ps=$(cat "$work/pgs3-drain.secs")
  say "pg_recvlogical (pgoutput)      %8.2f s %10.0f changes/s   peak RSS %7.1f MB\n" "$rs" \
    "$(echo "$changes / $rs" | bc -l)" "$(echo "$(cat "$work/recvlogical.rss") / 1024" | bc -l)"
  say "pgs3 (Parquet, local dir)      %8.2f s %10.0f changes/s   peak RSS %7.1f MB   %s files\n" "$ps" \
    "$(echo "$changes / $ps" | bc -l)" "$(echo "$(cat "$work/pgs3-drain.rss") / 1024" | bc -l)" \
    "$(json_get "$counts" files)"
  say "ratio pgs3 / pg_recvlogical    %.2f (time)\n" "$(echo "$ps / $rs" | bc -l)"
  check_count drain "$counts" I $((txns * 50))
  check_count drain "$counts" U $((txns * 40))
  check_count drain "$counts" D $((txns * 10))
  if [ "${BENCH_DRAIN_S3:-1}" = 1 ]; then
    echo "draining with pgs3 into S3 (test server) ..."
    mkdir -p "$work/spill-drain-s3"
    measure pgs3-drain-s3 "$work/spill-drain-s3" env TMPDIR="$work/spill-drain-s3" \
      "$pgs3" run "$work/drain-s3.json" --cdc-stop-position "$endpos" --log-format text --no-progress \
      || fail_with_log "pgs3 run into S3 --cdc-stop-position $endpos exited $?" "$work/pgs3-drain-s3.log"
    /usr/bin/aws s3 cp --quiet --recursive --endpoint-url "$s3_endpoint" s3://lake/bench "$work/out-drain-s3/bench" \
      || fail_with_log "downloading the S3 drain's files failed" "$work/s3-server.log"
    counts=$(count_files "$work/out-drain-s3")
    ss=$(cat "$work/pgs3-drain-s3.secs")
    say "pgs3 (Parquet, S3 test server) %8.2f s %10.0f changes/s   peak RSS %7.1f MB   %s files\n" "$ss" \
      "$(echo "$changes / $ss" | bc -l)" "$(echo "$(cat "$work/pgs3-drain-s3.rss") / 1024" | bc -l)" \
      "$(json_get "$counts" files)"
    say "ratio pgs3 into S3 / pg_recvlogical  %.2f (rate: %.2f x pg_recvlogical's)\n" "$(echo "$ss / $rs" | bc -l)" \
      "$(echo "$rs / $ss" | bc -l)"
    check_count drain-s3 "$counts" I $((txns * 50))
    check_count drain-s3 "$counts" U $((txns * 40))
    check_count drain-s3 "$counts" D $((txns * 10))
    sql1 "SELECT pg_drop_replication_slot('$(slot_of cdc-bench-s3)')" >/dev/null
  fi
  if [ "$reached" = t ]; then say "  check slot confirmed_flush_lsn %s >= stop position OK\n" "$confirmed"
  else say "  check slot confirmed_flush_lsn %s < stop position %s  MISMATCH\n" "$confirmed" "$endpos"
    mismatches=$((mismatches + 1)); fi
  sql1 "SELECT pg_drop_replication_slot('$pub')" >/dev/null  # release the backlog's WAL
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. Latency at a steady rate; the same into S3 through the fault proxy with a 10 s outage.
# steady_latency LABEL TASK_FILE SLOT WATCH_DIR [PROXY_PID]: runs pgs3 on TASK_FILE (table lat), a steady load of
# BENCH_RATE changes/s for BENCH_LATENCY_SECONDS, the watcher on WATCH_DIR; with PROXY_PID, the proxy gets SIGUSR1
# (no S3 answer for BENCH_STALL_SECONDS) a third of the way in. Prints the figures, then stops pgs3 with SIGTERM.
steady_latency() {
  local label=$1 task=$2 slot=$3 watchdir=$4 proxy_pid=${5:-}
  timeout -k 10 "$run_timeout" "$pgs3" run "$task" --log-format text --no-progress >"$work/pgs3-$label.log" 2>&1 &
  local pid=$!
  bg_pids+=("$pid")
  for _ in $(seq 600); do
    [ "$(sql1 "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot' AND active")" = 1 ] && break
    kill -0 "$pid" 2>/dev/null || fail_with_log "pgs3 ($label run) exited before streaming" "$work/pgs3-$label.log"
    sleep 0.1
  done
  [ "$(sql1 "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot' AND active")" = 1 ] \
    || fail_with_log "pgs3 ($label run) did not start streaming within 60 s" "$work/pgs3-$label.log"
  local walsender
  walsender=$(sql1 "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$slot'")
  local before
  before=$(json_get "$(count_files "$watchdir")" rows)

  local per_txn=100
  local ticks=$(( rate * latency_s / per_txn ))
  local total=$(( ticks * per_txn ))
  rm -f "$work/$label.stop"
  node "$files_js" watch "$watchdir" --column committed_at --commit-column commit_ts --stop-file "$work/$label.stop" \
    >"$work/$label.watch.out" 2>"$work/$label.watch.log" &
  local watch_pid=$!
  bg_pids+=("$watch_pid")
  local stall_pid=
  if [ -n "$proxy_pid" ]; then
    ( sleep "$(echo "$latency_s / 3" | bc -l)"; kill -USR1 "$proxy_pid" ) &
    stall_pid=$!
    bg_pids+=("$stall_pid")
    echo "$label: $rate changes/s for $latency_s s, S3 answers nothing for $stall_s s from $(echo "$latency_s / 3" | bc) s on ..."
  else
    echo "$label: $rate changes/s for $latency_s s ($ticks transactions of $per_txn rows) ..."
  fi
  local gs ge
  gs=$(now_s)
  # synchronous_commit on for the generator (PostgreSQL's default; the test cluster's is off): the walsender sends
  # only flushed WAL, and with it off a commit waits for the WAL writer (wal_writer_delay, 200 ms) to be flushed.
  PGOPTIONS="-c synchronous_commit=on" psql_q <<SQL
DO \$\$
DECLARE
  t0 timestamptz := clock_timestamp();
  tick interval := make_interval(secs => $per_txn::float8 / $rate);
BEGIN
  FOR i IN 1..$ticks LOOP
    INSERT INTO lat (committed_at, pad) SELECT clock_timestamp(), 'steady' FROM generate_series(1, $per_txn);
    COMMIT;
    PERFORM pg_sleep(GREATEST(0, extract(epoch FROM (t0 + i * tick - clock_timestamp()))));
  END LOOP;
END \$\$;
SQL
  ge=$(now_s)
  if [ -n "$stall_pid" ]; then wait "$stall_pid" || true; forget_pid "$stall_pid"; fi
  # Wait (at most 60 s) until every row is in a visible file, then stop the watcher.
  for _ in $(seq 120); do
    [ "$(json_get "$(count_files "$watchdir")" rows)" -ge "$((before + total))" ] && break
    sleep 0.5
  done
  touch "$work/$label.stop"
  wait "$watch_pid" || fail_with_log "the $label watcher failed" "$work/$label.watch.log"
  forget_pid "$watch_pid"
  local lat
  lat=$(cat "$work/$label.watch.out")
  local walsender_after
  walsender_after=$(sql1 "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = '$slot'")
  local ts te rc=0
  ts=$(now_s)
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  forget_pid "$pid"
  te=$(now_s)
  say "%-30s %d rows in %.1f s = %.0f changes/s (target %d/s)\n" "$label load" "$total" \
    "$(echo "$ge - $gs" | bc -l)" "$(echo "$total / ($ge - $gs)" | bc -l)" "$rate"
  say "%-30s p50 %s ms  p90 %s ms  p99 %s ms  max %s ms  (%s rows in %s files; clock_timestamp() at insert)\n" \
    "$label commit -> visible" "$(json_get "$lat" latency_ms.p50)" "$(json_get "$lat" latency_ms.p90)" \
    "$(json_get "$lat" latency_ms.p99)" "$(json_get "$lat" latency_ms.max)" "$(json_get "$lat" rows)" \
    "$(json_get "$lat" files)"
  say "  same from TimestampColumnName p50 %s ms  p99 %s ms  (commit time as pgs3 writes it; watcher resolution %s ms)\n" \
    "$(json_get "$lat" commit_latency_ms.p50)" "$(json_get "$lat" commit_latency_ms.p99)" \
    "$(json_get "$lat" detect_lag_ms_max)"
  say "%-30s %.2f s, exit code %d\n" "$label exit after SIGTERM" "$(echo "$te - $ts" | bc -l)" "$rc"
  if [ "$walsender" = "$walsender_after" ]; then
    say "  check %-28s walsender %s throughout (no reconnect) OK\n" "$label" "$walsender"
  else
    say "  check %-28s walsender %s, then %s: the connection was dropped  MISMATCH\n" "$label" "$walsender" \
      "$walsender_after"
    mismatches=$((mismatches + 1))
  fi
  check_count "$label" "$(count_files "$watchdir")" I "$((before + total))"
  [ "$rc" -eq 0 ] || { say "  check SIGTERM exit code 0  MISMATCH (%d)\n" "$rc"; mismatches=$((mismatches + 1)); }
}

if [[ " $steps " == *" latency "* || " $steps " == *" stall "* ]]; then
  psql_q -c "CREATE TABLE lat (id bigserial PRIMARY KEY, committed_at timestamptz NOT NULL, pad text)"
fi
if [[ " $steps " == *" latency "* ]]; then
  write_task "$work/latency.json" cdc-bench-latency lat "$work/out-latency" \
    ', "CdcMaxBatchInterval": 1, "TimestampColumnName": "commit_ts"' ""
  steady_latency latency "$work/latency.json" "$(slot_of cdc-bench-latency)" "$work/out-latency"
  sql1 "SELECT pg_drop_replication_slot('$(slot_of cdc-bench-latency)')" >/dev/null
fi
if [[ " $steps " == *" stall "* ]]; then
  start_s3_server
  node tests/tools/fault-proxy.mjs --target "$s3_endpoint" --hold-ms "$((stall_s * 1000))" \
    >"$work/proxy.json" 2>"$work/proxy.log" &
  proxy_pid=$!
  bg_pids+=("$proxy_pid")
  for _ in $(seq 100); do [ -s "$work/proxy.json" ] && break; sleep 0.1; done
  write_task "$work/stall.json" cdc-bench-stall lat /unused \
    ', "BucketName": "lake", "CdcMaxBatchInterval": 1, "TimestampColumnName": "commit_ts"' ""
  point_at_s3 "$work/stall.json" "$(endpoint_of "$work/proxy.json")"
  # The walsender's timeout at DMS's minimum: a loop that stopped replying during the outage would be cut.
  sql1 "ALTER SYSTEM SET wal_sender_timeout = '10s'" >/dev/null
  sql1 "SELECT pg_reload_conf()" >/dev/null
  steady_latency stall "$work/stall.json" "$(slot_of cdc-bench-stall)" "$work/s3/lake/bench/public/lat" "$proxy_pid"
  sql1 "ALTER SYSTEM RESET wal_sender_timeout" >/dev/null
  sql1 "SELECT pg_reload_conf()" >/dev/null
  grep -q '"hold"' "$work/proxy.log" || { say "  check the outage happened  MISMATCH (the proxy never held)\n"
    mismatches=$((mismatches + 1)); }
  sql1 "SELECT pg_drop_replication_slot('$(slot_of cdc-bench-stall)')" >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. One big transaction, default budget and a small one.
if [[ " $steps " == *" txn "* ]]; then
  psql_q -c "CREATE TABLE bigtxn (aid bigint PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84),
             pad text)"
  write_task "$work/txn-default.json" cdc-bench-txn-default bigtxn "$work/out-txn-default" "" ""
  write_task "$work/txn-small.json" cdc-bench-txn-small bigtxn "$work/out-txn-small" "" \
    "\"ChangeProcessingTuning\": { \"MemoryLimitTotal\": $small_budget }"
  create_pgs3_slot "$work/txn-default.json" cdc-bench-txn-default txn-default-setup
  create_pgs3_slot "$work/txn-small.json" cdc-bench-txn-small txn-small-setup
  echo "one transaction of $txn_rows rows ..."
  psql_q -c "INSERT INTO bigtxn SELECT g, (g - 1) / 100000 + 1, 0, 'filler ' || g,
               (SELECT string_agg(md5(g::text || ':' || i), '') FROM generate_series(1, $txn_pad) i)
             FROM generate_series(1, $txn_rows) g"
  endpos=$(lsn_now)
  for budget in default small; do
    mkdir -p "$work/spill-$budget"
    chmod 700 "$work/spill-$budget"
    measure "txn-$budget" "$work/spill-$budget" env TMPDIR="$work/spill-$budget" \
      "$pgs3" run "$work/txn-$budget.json" --cdc-stop-position "$endpos" --log-format text --no-progress \
      || fail_with_log "pgs3 run (one transaction, $budget budget) exited $?" "$work/txn-$budget.log"
    counts=$(count_files "$work/out-txn-$budget")
    if [ "$budget" = default ]; then b="512 MB (default)"; else b="$small_budget MB"; fi
    say "one %d-row transaction, budget %-16s %7.2f s  peak RSS %7.1f MB  peak spill %7.1f MB  %s files\n" \
      "$txn_rows" "$b" "$(cat "$work/txn-$budget.secs")" "$(echo "$(cat "$work/txn-$budget.rss") / 1024" | bc -l)" \
      "$(echo "$(cat "$work/txn-$budget.spill") / 1048576" | bc -l)" "$(json_get "$counts" files)"
    check_count "txn-$budget" "$counts" I "$txn_rows"
    # Spill files must be gone once the run is over.
    left=$(find "$work/spill-$budget" -type f | wc -l)
    [ "$left" -eq 0 ] || { say "  check spill directory empty after the run  MISMATCH (%d files left)\n" "$left"
      mismatches=$((mismatches + 1)); }
  done
fi

# ---------------------------------------------------------------------------------------------------------------
# 4. Many wide tables under a small budget: every table's open file (and its open row group) grows at once.
if [[ " $steps " == *" wide "* ]]; then
  echo "creating $wide_tables tables of 30 columns ..."
  psql_q <<SQL
DO \$\$
DECLARE cols text := '';
BEGIN
  FOR c IN 1..27 LOOP cols := cols || format(', c%s %s', c, CASE WHEN c % 3 = 0 THEN 'text' ELSE 'int' END); END LOOP;
  FOR t IN 1..$wide_tables LOOP
    EXECUTE format('CREATE TABLE wide_%s (id bigint PRIMARY KEY, label text%s, body text)', t, cols);
  END LOOP;
END \$\$;
SQL
  write_task "$work/wide.json" cdc-bench-wide 'wide%' "$work/out-wide" "" \
    "\"ChangeProcessingTuning\": { \"MemoryLimitTotal\": $wide_budget }"
  create_pgs3_slot "$work/wide.json" cdc-bench-wide wide-setup
  # The same task with nothing to replicate: the RSS pgs3 needs for these tables before any buffer.
  measure wide-idle - "$pgs3" run "$work/wide.json" --cdc-stop-position "$(lsn_now)" --log-format text --no-progress \
    || fail_with_log "pgs3 run (wide tables, nothing to replicate) exited $?" "$work/wide-idle.log"
  echo "inserting $wide_rows rows into each table, one row per table per transaction ..."
  vals=""
  for c in $(seq 1 27); do if [ $((c % 3)) -eq 0 ]; then vals="$vals, md5(r::text || $c::text)"; else vals="$vals, r * $c"; fi; done
  psql_q <<SQL
CREATE PROCEDURE wide_fill() LANGUAGE plpgsql AS \$\$
DECLARE body text;
BEGIN
  FOR r IN 1..$wide_rows LOOP
    FOR t IN 1..$wide_tables LOOP
      body := (SELECT string_agg(md5(r::text || ':' || t || ':' || i), '') FROM generate_series(1, 64) i);
      EXECUTE format('INSERT INTO wide_%s SELECT \$1, \$2$vals, \$3 FROM (SELECT \$1 AS r) x', t)
        USING r::bigint, 'row ' || r, body;
    END LOOP;
    COMMIT;
  END LOOP;
END \$\$;
CALL wide_fill();
SQL
  endpos=$(lsn_now)
  mkdir -p "$work/spill-wide"
  chmod 700 "$work/spill-wide"
  measure wide "$work/spill-wide" env TMPDIR="$work/spill-wide" \
    "$pgs3" run "$work/wide.json" --cdc-stop-position "$endpos" --log-format text --no-progress \
    || fail_with_log "pgs3 run (wide tables) exited $?" "$work/wide.log"
  counts=$(count_files "$work/out-wide")
  rss_mb=$(echo "$(cat "$work/wide.rss") / 1024" | bc -l)
  say "%d tables x %d rows of 30 columns (2 kB text), budget %d MB: %7.2f s  peak RSS %7.1f MB (%.2f x the budget)  peak spill %7.1f MB  %s files\n" \
    "$wide_tables" "$wide_rows" "$wide_budget" "$(cat "$work/wide.secs")" "$rss_mb" \
    "$(echo "$rss_mb / $wide_budget" | bc -l)" "$(echo "$(cat "$work/wide.spill") / 1048576" | bc -l)" \
    "$(json_get "$counts" files)"
  idle_mb=$(echo "$(cat "$work/wide-idle.rss") / 1024" | bc -l)
  say "  the same task with nothing to replicate: peak RSS %.1f MB; the buffers' peak beyond it %.1f MB (%.2f x the budget)\n" \
    "$idle_mb" "$(echo "$rss_mb - $idle_mb" | bc -l)" "$(echo "($rss_mb - $idle_mb) / $wide_budget" | bc -l)"
  check_count wide "$counts" I $((wide_tables * wide_rows))
fi

echo
echo "=== summary ==="
cat "$summary"
if [ "$mismatches" -gt 0 ]; then echo "$mismatches check(s) failed (logs: set BENCH_KEEP=1 and look in the work directory)"; exit 1; fi
