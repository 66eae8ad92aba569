#!/usr/bin/env bash
# Full-load benchmark: a ~12-column table of mixed types (BENCH_ROWS rows, default 10 million) loaded to Parquet by
# pgs3, beside `psql -c "COPY t TO STDOUT (FORMAT binary)" > /dev/null` on the same table in the same run.
# Prints rows/s, MB/s of Parquet written, peak RSS and the ratio pgs3 time / raw COPY time.
#
#   bench/full_load_bench.sh                 # builds release first
#   BENCH_ROWS=1000000 bench/full_load_bench.sh
#   BENCH_COMPRESSION=zstd BENCH_SUBTASKS=8 bench/full_load_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-10000000}
compression=${BENCH_COMPRESSION:-snappy}

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

out="$work/out"
cat >"$work/task.json" <<JSON
{ "taskId": "bench", "migrationType": "full-load",
  "source": { "connection": "host=$PGHOST port=$PGPORT dbname=postgres user=$PGUSER" },
  "target": { "type": "local", "path": "$out",
              "s3Settings": { "DataFormat": "parquet", "CompressionType": "$compression", "BucketFolder": "bench" } },
  "tableMappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
      "object-locator": { "schema-name": "public", "table-name": "bench" }, "rule-action": "include" } ] },
  "taskSettings": { "FullLoadSettings": { "MaxFullLoadSubTasks": ${BENCH_SUBTASKS:-8} } } }
JSON
/usr/bin/time -v -o "$work/time.txt" "$pgs3" run "$work/task.json" --log-format text --no-progress 2>"$work/pgs3.log" || {
  cat "$work/pgs3.log"; exit 1; }
pgs3_s=$(grep "Elapsed (wall clock)" "$work/time.txt" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss_kb=$(grep "Maximum resident set size" "$work/time.txt" | awk '{print $NF}')
parquet_bytes=$(du -cb "$out"/bench/public/bench/*.parquet | tail -n1 | awk '{print $1}')
files=$(ls "$out"/bench/public/bench/*.parquet | wc -l)

awk -v rows="$rows" -v cs="$copy_s" -v cb="$copy_bytes" -v ps="$pgs3_s" -v pb="$parquet_bytes" -v rss="$rss_kb" \
    -v files="$files" -v comp="$compression" 'BEGIN {
  printf "rows                      %d\n", rows
  printf "raw COPY (binary)         %.2f s  %.0f rows/s  %.1f MB/s of COPY data (%.1f MB)\n", cs, rows/cs, cb/cs/1e6, cb/1e6
  printf "pgs3 full load (%s)   %.2f s  %.0f rows/s  %.1f MB/s of Parquet written (%.1f MB in %d files)\n", comp, ps, rows/ps, pb/ps/1e6, pb/1e6, files
  printf "pgs3 peak RSS             %.1f MB\n", rss/1024
  printf "ratio pgs3 / raw COPY     %.2f\n", ps/cs
}'
