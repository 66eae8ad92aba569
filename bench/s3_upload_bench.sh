#!/usr/bin/env bash
# S3 upload benchmark: one ~1 GB Parquet file (written by pgs3 from a generated table) uploaded to the project's S3
# test server (s3rver behind a SigV4-checking front, on 127.0.0.1) by pgs3's S3 store as a single PutObject and as
# multipart uploads, beside `aws s3 cp` (Debian's AWS CLI) of the same file in the same run. Prints MB/s, peak RSS
# and the ratio of each pgs3 upload to the AWS CLI.
#
#   bench/s3_upload_bench.sh                         # ~1 GB file
#   BENCH_UPLOAD_MB=200 bench/s3_upload_bench.sh     # a smaller file
#   BENCH_UPLOAD_FILE=/path/file.parquet bench/s3_upload_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target_mb=${BENCH_UPLOAD_MB:-1000}

scripts/install-deps.sh >/dev/null
cmake --preset release >/dev/null && cmake --build build/release -j "$(nproc)" --target pgs3 pgs3_s3_put >/dev/null
pgs3=$PWD/build/release/pgs3
put=$PWD/build/release/pgs3_s3_put

work=$(mktemp -d /tmp/pgs3-s3bench.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

file=${BENCH_UPLOAD_FILE:-}
if [ -z "$file" ]; then
  # ~134 bytes per row of uncompressed Parquet for this table.
  rows=$(( target_mb * 1024 * 1024 / 134 ))
  echo "writing a Parquet file of about $target_mb MB ($rows rows) with pgs3 ..."
  eval "export $(scripts/pg-cluster.sh start "$work/pg")"
  export PGDATABASE=postgres
  psql -q -v ON_ERROR_STOP=1 -c "CREATE TABLE up AS SELECT g AS id, md5(g::text) AS a, md5((g*7)::text) AS b,
    md5((g*13)::text) AS c, g * 1.5 AS x FROM generate_series(1, $rows) g"
  cat > "$work/task.json" <<JSON
{ "taskId": "bench-file", "migrationType": "full-load",
  "source": { "connection": "host=$PGHOST port=$PGPORT user=$PGUSER dbname=postgres" },
  "target": { "type": "local", "path": "$work/out",
              "s3Settings": { "DataFormat": "parquet", "CompressionType": "NONE", "MaxFileSize": 1048576 } },
  "tableMappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
    "object-locator": { "schema-name": "public", "table-name": "up" }, "rule-action": "include" } ] } }
JSON
  "$pgs3" run "$work/task.json" --no-progress --log-level warn
  file=$work/out/public/up/LOAD00000001.parquet
  scripts/pg-cluster.sh stop "$work/pg" >/dev/null
fi
size=$(stat -c %s "$file")
echo "file: $file, $size bytes"

export AWS_ACCESS_KEY_ID=AKIABENCH$(date +%s) AWS_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '+/=')
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true HOME=$work AWS_CONFIG_FILE=$work/none
node tests/tools/s3-server/main.mjs --port 0 --region us-east-1 --bucket bench --data-dir "$work/s3" \
  > "$work/server.json" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.json" ] && break; sleep 0.1; done
endpoint=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).endpoint)' "$work/server.json")

measure() {  # measure LABEL COMMAND... -> prints "LABEL seconds MB/s peakRSS"
  local label=$1; shift
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null
  e=$(date +%s.%N)
  local secs mbs
  secs=$(echo "$e - $s" | bc -l)
  mbs=$(echo "$size / $secs / 1000000" | bc -l)
  printf '%-28s %8.2f s %8.1f MB/s   peak RSS %6.1f MB\n' "$label" "$secs" "$mbs" "$(echo "$(cat "$work/rss") / 1024" | bc -l)"
  echo "$mbs" > "$work/mbs-$label"
}

echo "uploading to $endpoint (test server on loopback) ..."
measure aws-s3-cp /usr/bin/aws s3 cp --only-show-errors --endpoint-url "$endpoint" "$file" s3://bench/cli.parquet
measure pgs3-single-put "$put" --endpoint "$endpoint" --region us-east-1 --bucket bench --key single.parquet \
  --file "$file" --single
measure pgs3-multipart-8MiB "$put" --endpoint "$endpoint" --region us-east-1 --bucket bench --key mp8.parquet \
  --file "$file" --part-size 8
measure pgs3-multipart-64MiB "$put" --endpoint "$endpoint" --region us-east-1 --bucket bench --key mp64.parquet \
  --file "$file" --part-size 64
cli=$(cat "$work/mbs-aws-s3-cp")
for l in pgs3-single-put pgs3-multipart-8MiB pgs3-multipart-64MiB; do
  printf 'ratio %-22s %.2f x aws s3 cp\n' "$l" "$(echo "$(cat "$work/mbs-$l") / $cli" | bc -l)"
done
