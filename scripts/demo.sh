#!/usr/bin/env bash
# demo.sh — the whole pipeline on a fresh machine, in one command:
#   1. installs the dependencies (scripts/install-deps.sh),
#   2. builds pgs3 (release, build/release/pgs3),
#   3. starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 (scripts/pg-cluster.sh) with a small shop schema,
#   4. runs a full-load task into demo-output/ (Parquet, BucketFolder "demo"),
#   5. lists the files written and prints a few rows of each, read back with DuckDB,
# and always stops the cluster, whatever happens.
#
# Environment: PGS3_BUILD_DIR (default build/release) to build somewhere else.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing dependencies"
scripts/install-deps.sh

step "Building pgs3 (release)"
build_dir=${PGS3_BUILD_DIR:-build/release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build_dir" pgs3
pgs3=$(cd "$build_dir" && pwd)/pgs3

step "Starting a throwaway PostgreSQL 15 cluster"
workdir=$(mktemp -d /tmp/pgs3-demo.XXXXXX)
cleanup() {
  "$repo/scripts/pg-cluster.sh" stop "$workdir" || true
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cluster_env=$(scripts/pg-cluster.sh start "$workdir")
echo "$cluster_env"
# PGHOST, PGPORT, PGUSER and PGPASSFILE: the password reaches psql and pgs3 through a libpq password file, as it
# would in a real deployment; it is never in the task file.
# shellcheck disable=SC2163
for assignment in $cluster_env; do export "$assignment"; done

step "Creating the sample schema (database shop)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE shop'
psql -X -q -v ON_ERROR_STOP=1 -d shop <<'SQL'
DO $$ BEGIN PERFORM setseed(0.42); END $$;
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');

CREATE TABLE shop.customers (
  id         int PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  country    char(2),
  vip        boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL
);
INSERT INTO shop.customers
SELECT g,
       (ARRAY['Ana', 'Bruno', 'Chloé', 'Dmitri', 'Eun-ji', 'Farah', 'Gustav', 'Hiro'])[1 + g % 8] || ' ' ||
       (ARRAY['Silva', 'Müller', 'Nakamura', 'O''Brien', 'Kowalski', 'García'])[1 + g % 6],
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'customer' || g || '@example.com' END,
       (ARRAY['BR', 'DE', 'JP', 'IE', 'PL', 'ES', 'FR'])[1 + g % 7],
       g % 9 = 0,
       timestamptz '2023-01-01 00:00:00+00' + (random() * 365) * interval '1 day'
  FROM generate_series(1, 200) g;

CREATE TABLE shop.products (
  id         int PRIMARY KEY,
  sku        uuid NOT NULL,
  name       text NOT NULL,
  price      numeric(10,2) NOT NULL,
  weight_kg  real,
  tags       text[],
  attributes jsonb
);
INSERT INTO shop.products
SELECT g,
       md5('sku' || g)::uuid,
       (ARRAY['Mug', 'T-shirt', 'Notebook', 'Backpack', 'Sticker pack'])[1 + g % 5] || ' #' || g,
       round((5 + random() * 95)::numeric, 2),
       round((0.1 + random() * 3)::numeric, 3),
       ARRAY[(ARRAY['new', 'sale', 'eco', 'gift'])[1 + g % 4], 'shop'],
       jsonb_build_object('color', (ARRAY['red', 'blue', 'black'])[1 + g % 3], 'size', (ARRAY['S', 'M', 'L'])[1 + g % 3])
  FROM generate_series(1, 50) g;

CREATE TABLE shop.orders (
  id          bigint PRIMARY KEY,
  customer_id int NOT NULL REFERENCES shop.customers,
  product_id  int NOT NULL REFERENCES shop.products,
  quantity    smallint NOT NULL,
  status      shop.order_status NOT NULL,
  total       numeric(12,2) NOT NULL,
  ordered_at  timestamp NOT NULL,
  shipped_on  date,
  notes       text
);
INSERT INTO shop.orders
SELECT g,
       1 + (random() * 199)::int,
       p.id,
       q,
       s.status,
       p.price * q,
       timestamp '2024-01-01' + (random() * 180) * interval '1 day',
       CASE WHEN s.status = 'shipped' THEN date '2024-07-01' + (g % 30) END,
       CASE WHEN g % 25 = 0 THEN 'gift wrap, please' END
  FROM generate_series(1, 500) g
  CROSS JOIN LATERAL (SELECT (1 + random() * 4 + 0 * g)::smallint AS q) qq
  JOIN shop.products p ON p.id = 1 + g % 50
  CROSS JOIN LATERAL (SELECT (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4]::shop.order_status AS status) s;
SQL
psql -X -q -d shop -c "SELECT 'customers' AS table, count(*) FROM shop.customers UNION ALL
                        SELECT 'products', count(*) FROM shop.products UNION ALL
                        SELECT 'orders', count(*) FROM shop.orders"

step "Running the full-load task"
rm -rf "$repo/demo-output"
mkdir -p "$repo/demo-output"
cat >"$workdir/task.json" <<JSON
{
  "taskId": "demo",
  "migrationType": "full-load",
  "source": { "connection": "host=127.0.0.1 port=$PGPORT dbname=shop user=$PGUSER" },
  "target": {
    "type": "local",
    "path": "$repo/demo-output",
    "s3Settings": { "BucketFolder": "demo", "DataFormat": "parquet", "CompressionType": "snappy",
                    "ParquetVersion": "parquet-2-0" }
  },
  "tableMappings": { "rules": [
    { "rule-type": "selection", "rule-id": "1", "rule-name": "shop-tables",
      "object-locator": { "schema-name": "shop", "table-name": "%" }, "rule-action": "include" } ] }
}
JSON
cat "$workdir/task.json"
"$pgs3" run "$workdir/task.json" --log-format text

step "Files written"
(cd "$repo" && find demo-output -type f -printf '%8s bytes  %p\n' | sort -k3)

step "A few rows of each table, read back with DuckDB"
node "$repo/tests/tools/print_parquet.mjs" --rows 5 "$repo/demo-output/demo"

step "Done: the files are in demo-output/demo/<schema>/<table>/; the cluster is being stopped"
