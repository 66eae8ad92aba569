#!/usr/bin/env bash
# Full-load benchmark: a ~12-column table of mixed types (BENCH_ROWS rows, default 10 million) loaded to Parquet by
# pgs3 with BENCH_SUBTASKS sub-tasks (default 4; the table is split into that many ctid segments), beside, in the
# same run, one raw `psql -c "COPY t TO STDOUT (FORMAT binary)" > /dev/null` and BENCH_SUBTASKS parallel raw
# `COPY (SELECT * FROM t WHERE ctid ...) TO STDOUT (FORMAT binary)` streams over the same block ranges. Then the
# same rows as 4 tables (a 4-table task) beside 4 parallel raw COPYs of them.
# Prints rows/s, MB/s of Parquet written, peak RSS and the ratios of the throughputs.
#
#   bench/full_load_bench.sh                 # builds release first
#   BENCH_ROWS=1000000 bench/full_load_bench.sh
#   BENCH_COMPRESSION=zstd BENCH_SUBTASKS=8 bench/full_load_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-10000000}
compression=${BENCH_COMPRESSION:-snappy}
subtasks=${BENCH_SUBTASKS:-4}

scripts/install-deps.sh >/dev/null
cmake --preset release >/dev/null && cmake --build build/release -j "$(nproc)" --target pgs3 >/dev/null
pgs3=$PWD/build/release/pgs3

work=$(mktemp -d /tmp/pgs3-bench.XXXXXX)
chmod 755 "$work"
cluster="$work/pg"
cleanup() { scripts/pg-cluster.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
eval "export $(scripts/pg-cluster.sh start "$cluster")"
export PGDATABASE=postgres

echo "generating $rows rows ..."
psql -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE bench (
  id bigint PRIMARY KEY, qty integer NOT NULL, small smallint, price numeric(12,2), ratio double precision,
  name text NOT NULL, code varchar(16), created timestamptz NOT NULL, day date, flag boolean, uid uuid, note text);
INSERT INTO bench
SELECT g, (g * 7) % 100000, (g % 30000)::smallint, ((g % 1000000) / 100.0)::numeric(12,2), g / 3.0,
       'customer ' || (g % 50000), 'C' || (g % 997), timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second',
       date '2000-01-01' + (g % 10000)::int, g % 3 = 0, md5(g::text)::uuid,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'note number ' || g END
FROM generate_series(1, $rows) g;
VACUUM ANALYZE bench;
SQL

time_of() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }

echo "warming the cache ..."
psql -c "COPY bench TO STDOUT (FORMAT binary)" >/dev/null
copy_bytes=$(psql -c "COPY bench TO STDOUT (FORMAT binary)" | wc -c)
copy_s=$(time_of sh -c 'psql -c "COPY bench TO STDOUT (FORMAT binary)" >/dev/null')

# The same block ranges pgs3 plans (task/load_plan.cc: floor(blocks * i / n)), each streamed by its own psql.
blocks=$(psql -Atc "SELECT pg_relation_size('bench') / current_setting('block_size')::int8")
parallel_copy() {
  local pids=() i from to where
  for ((i = 0; i < subtasks; i++)); do
    from=$((blocks * i / subtasks)); to=$((blocks * (i + 1) / subtasks))
    if ((subtasks == 1)); then where="true"
    elif ((i == 0)); then where="ctid < '($to,0)'::tid"
    elif ((i == subtasks - 1)); then where="ctid >= '($from,0)'::tid"
    else where="ctid >= '($from,0)'::tid AND ctid < '($to,0)'::tid"; fi
    psql -c "COPY (SELECT * FROM bench WHERE $where) TO STDOUT (FORMAT binary)" >/dev/null & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
parallel_s=$(time_of parallel_copy)

# Runs pgs3 on the tables matching $1 into $2; sets pgs3_s, rss_kb, parquet_bytes, files.
run_pgs3() {
  local pattern=$1 out=$2 name=$3
  cat >"$work/$name.json" <<JSON
{ "taskId": "bench-$name", "migrationType": "full-load",
  "source": { "connection": "host=$PGHOST port=$PGPORT dbname=postgres user=$PGUSER" },
  "target": { "type": "local", "path": "$out",
              "s3Settings": { "DataFormat": "parquet", "CompressionType": "$compression", "BucketFolder": "bench" } },
  "tableMappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
      "object-locator": { "schema-name": "public", "table-name": "$pattern" }, "rule-action": "include" } ] },
  "taskSettings": { "FullLoadSettings": { "MaxFullLoadSubTasks": $subtasks } } }
JSON
  /usr/bin/time -v -o "$work/time.txt" "$pgs3" run "$work/$name.json" --log-format text --no-progress \
    2>"$work/$name.log" || { cat "$work/$name.log"; exit 1; }
  pgs3_s=$(grep "Elapsed (wall clock)" "$work/time.txt" | awk '{print $NF}' |
           awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss_kb=$(grep "Maximum resident set size" "$work/time.txt" | awk '{print $NF}')
  cpu_s=$(awk -F: '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
  parquet_bytes=$(find "$out" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
  files=$(find "$out" -name '*.parquet' | wc -l)
}
run_pgs3 bench "$work/out" one
segments=$(grep -o 'full load of public.bench: [0-9]* segments' "$work/one.log" | awk '{print $5}')

awk -v rows="$rows" -v cs="$copy_s" -v pcs="$parallel_s" -v n="$subtasks" -v cb="$copy_bytes" -v ps="$pgs3_s" \
    -v pb="$parquet_bytes" -v rss="$rss_kb" -v files="$files" -v comp="$compression" -v seg="${segments:-1}" \
    -v cpu="$cpu_s" -v cores="$(nproc)" 'BEGIN {
  printf "rows                              %d\n", rows
  printf "raw COPY (binary), 1 stream       %.2f s  %.0f rows/s  %.1f MB/s of COPY data (%.1f MB)\n", cs, rows/cs, cb/cs/1e6, cb/1e6
  printf "raw COPY (binary), %d ctid streams %.2f s  %.0f rows/s  %.1f MB/s\n", n, pcs, rows/pcs, cb/pcs/1e6
  printf "pgs3 full load (%s, %d sub-tasks, %d segments) %.2f s  %.0f rows/s  %.1f MB/s of Parquet written (%.1f MB in %d files)\n", comp, n, seg, ps, rows/ps, pb/ps/1e6, pb/1e6, files
  printf "pgs3 peak RSS                     %.1f MB\n", rss/1024
  printf "pgs3 CPU (user+sys)               %.2f s on %d cores; raw COPY needs %.2f s of the server'"'"'s CPU per stream\n", cpu, cores, cs
  printf "throughput pgs3 / %d raw streams   %.2f\n", n, pcs/ps
  printf "throughput pgs3 / 1 raw stream    %.2f\n", cs/ps
}'

echo "splitting the rows into 4 tables ..."
psql -q -v ON_ERROR_STOP=1 <<SQL
$(for i in 0 1 2 3; do echo "CREATE TABLE quarter$i AS SELECT * FROM bench WHERE id % 4 = $i; VACUUM ANALYZE quarter$i;"; done)
SQL
four_copy() {
  local pids=() i
  for i in 0 1 2 3; do psql -c "COPY quarter$i TO STDOUT (FORMAT binary)" >/dev/null & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}
four_copy
four_s=$(time_of four_copy)
run_pgs3 'quarter%' "$work/out4" four
awk -v rows="$rows" -v cs="$four_s" -v ps="$pgs3_s" -v pb="$parquet_bytes" -v rss="$rss_kb" -v files="$files" \
    -v n="$subtasks" 'BEGIN {
  printf "4 tables: raw COPY, 4 streams     %.2f s  %.0f rows/s\n", cs, rows/cs
  printf "4 tables: pgs3 (%d sub-tasks)      %.2f s  %.0f rows/s  (%.1f MB in %d files)\n", n, ps, rows/ps, pb/1e6, files
  printf "4 tables: pgs3 peak RSS           %.1f MB\n", rss/1024
  printf "4 tables: throughput pgs3 / raw   %.2f\n", cs/ps
}'
